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
  const generated = new Map<string, Promise<string>>();
  /** The generated log of `kind` (made once, shared by the tests). */
  const logOf = (kind: string): Promise<string> => {
    let p = generated.get(kind);
    if (!p) {
      const log = join(dir, `${kind}.log`);
      p = spawnText('python3', [GENLOG, kind, '--lines', String(LINES), '--seed', '11', '--attackers', '800', '-o', log]).then(
        (gen) => {
          expect(gen.code, gen.err).toBe(0);
          return log;
        },
      );
      generated.set(kind, p);
    }
    return p;
  };

  it.each(['sshd', 'dovecot'])(
    '%s: identical (line, address) sets',
    async (kind) => {
      const log = await logOf(kind);
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

  // the whole row: failure data, key order of MLFID sessions (new, merged, forgotten, evicted)
  it.each(['sshd', 'dovecot'])(
    '%s: identical -o row output',
    async (kind) => {
      const log = await logOf(kind);
      const theirsRun = spawnText(F2B, ['-c', CONF, '-o', 'row', log, kind]);
      const ours = await runOurs(['-c', CONF, '-o', 'row', log, kind]);
      const theirs = await theirsRun;
      expect(theirs.code, theirs.err).toBe(0);
      expect(ours.code).toBe(0);
      // Python's set order is random per process: compare `users` sets sorted
      const rows = (out: string): string[] =>
        out
          .split('\n')
          .filter((l) => l.startsWith('['))
          .map((l) => l.replace(/'users': \{([^}]*)\}/g, (_m, items: string) => `'users': {${items.split(', ').sort().join(', ')}}`));
      const want = rows(theirs.out);
      expect(want.length).toBeGreaterThan(LINES / 10);
      expect(rows(ours.out)).toEqual(want);
    },
    60_000,
  );
});

if (!ready) it.skip(`differential test needs ${F2B}, ${CONF}/filter.d and ${GENLOG}`, () => {});
