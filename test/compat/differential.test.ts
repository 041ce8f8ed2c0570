import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { F2B_TEMPLATE, fail2banPairs, lineIndex, ourPairs, runOurs, spawnText } from './differential-run.js';

/**
 * Differential test: on generated sshd and dovecot logs (fixed seed), Debian's fail2ban-regex
 * 1.0.2 and ours, both with the stock filters of /etc/fail2ban, must report the same set of
 * (completing input line, address) pairs.
 */
const F2B = process.env.LOGJAIL_F2B_REGEX ?? '/usr/bin/fail2ban-regex';
const CONF = '/etc/fail2ban';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GENLOG = process.env.LOGJAIL_GENLOG ?? resolve(repoRoot, '..', 'shared', 'bench', 'genlog.py');
const ready = existsSync(F2B) && existsSync(join(CONF, 'filter.d', 'sshd.conf')) && existsSync(GENLOG);
const LINES = 20000;

describe.skipIf(!ready)('differential: fail2ban-regex -o vs logjail regex -o json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logjail-diff-'));

  it.each(['sshd', 'dovecot'])(
    '%s: identical (line, address) sets',
    async (kind) => {
      const log = join(dir, `${kind}.log`);
      const gen = await spawnText('python3', [
        GENLOG,
        kind,
        '--lines',
        String(LINES),
        '--seed',
        '11',
        '--attackers',
        '800',
        '-o',
        log,
      ]);
      expect(gen.code, gen.err).toBe(0);
      const theirsRun = spawnText(F2B, ['-c', CONF, '-o', F2B_TEMPLATE, log, kind]);
      const ours = await runOurs(['-c', CONF, '-o', 'json', log, kind]);
      const theirs = await theirsRun;
      expect(theirs.code, theirs.err).toBe(0);
      expect(ours.code).toBe(0);
      const want = fail2banPairs(theirs.out, lineIndex(log));
      const got = ourPairs(ours.out);
      console.log(
        `differential ${kind}: ${LINES} lines, fail2ban ${want.size} pairs, logjail ${got.size} pairs`,
      );
      // a real workload: thousands of failures, several address families
      expect(want.size).toBeGreaterThan(LINES / 10);
      expect([...want].some((p) => p.includes(':'))).toBe(true);
      expect([...got].filter((p) => !want.has(p))).toEqual([]);
      expect([...want].filter((p) => !got.has(p))).toEqual([]);
    },
    60_000,
  );
});

if (!ready) it.skip(`differential test needs ${F2B}, ${CONF}/filter.d and ${GENLOG}`, () => {});
