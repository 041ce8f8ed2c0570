import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runOurs, spawnText } from './differential-run.js';
import { writeSample } from './known-differences.js';

/**
 * Differential test over fail2ban's sample logs: for every sample with a filter of the same name
 * in the corpus config, Debian's fail2ban-regex 1.0.2 and ours must print the same report (hit
 * counts per regex with their addresses and times, date template hits, line totals), timing and log
 * path lines aside, and the
 * same `-o row` lines (address, time as Python writes it, captured groups).
 *
 * The corpus is fail2ban's current line (1.1): see known-differences.ts for what is evened out.
 */
const F2B = process.env.LOGJAIL_F2B_REGEX ?? '/usr/bin/fail2ban-regex';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORPUS = resolve(process.env.LOGJAIL_COMPAT_CORPUS ?? resolve(repoRoot, '..', 'shared', 'fail2ban-corpus'));
const CONF = join(CORPUS, 'config');
const LOGS = join(CORPUS, 'tests', 'logs');
const ready = existsSync(F2B) && existsSync(join(CONF, 'filter.d')) && existsSync(LOGS);
const DEBIAN = '/etc/fail2ban';
/** Samples 1.0.2's own filter cannot get through (the corpus's filter was fixed since). */
const DEBIAN_HANGS: Record<string, string> = {
  'domino-smtp': "`(?:[^\\[]+ )*` against the 'smtp: A A A … A' line: over 20 s in fail2ban-regex 1.0.2",
};

/** `<HOST>`'s IPv6 part as 1.0.2 prints it, and as 1.1 (and we) do. */
const IPV6_102 = '::?|::){1,7}';
const IPV6_11 = '::?|:){1,7}';
/** The name of the compact ISO date template as 1.0.2 prints it (-v), and as 1.1 (and we) do. */
const COMPACT_102 = '(?:T|  ?)Ex24hourExMinuteExSecond';
const COMPACT_11 = '(?:-|T|  ?)Ex24hour:?ExMinute:?ExSecond';

const report = (out: string): string[] =>
  out
    .split('\n')
    .filter((l) => !l.startsWith('[processed in') && !/^Use +log file :/.test(l))
    .map((l) => l.replaceAll(IPV6_102, IPV6_11).replaceAll(COMPACT_11, COMPACT_102))
    // -v lists a line without a date at "now", read a moment apart by the two tools
    .map((l) =>
      l.replace(/^(\|\s+\S+\s+)(\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} \d{4})$/, (m, a: string, d: string) =>
        Math.abs(Date.parse(d) - Date.now()) < 3_600_000 ? `${a}NOW` : m,
      ),
    );

const samples = ready
  ? readdirSync(LOGS)
      .filter((n) => existsSync(join(CONF, 'filter.d', `${n}.conf`)))
      .sort()
  : [];

describe.skipIf(!ready)('differential: fail2ban-regex 1.0.2 vs logjail regex on the sample logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logjail-diff-samples-'));

  const input = (name: string): string => {
    const path = join(dir, name);
    writeSample(LOGS, name, path);
    return path;
  };

  it('covers the corpus', () => {
    expect(samples.length).toBeGreaterThan(60);
  });

  /** Both tools' -v report on sample `name` with the filters of `conf`: the same, apart from the evened-out. */
  const sameReport = async (conf: string, name: string): Promise<void> => {
    // -v: also the prefregex groups, and each regex's addresses and times
    const args = ['-c', conf, '-v', '--print-no-missed', '--print-no-ignored', input(name), name];
    const theirsRun = spawnText(F2B, args);
    const ours = await runOurs(args);
    const theirs = await theirsRun;
    expect(theirs.code, theirs.err).toBe(0);
    expect(ours.code).toBe(0);
    const want = report(theirs.out);
    expect(want.some((l) => l.startsWith('Lines: '))).toBe(true);
    expect(report(ours.out)).toEqual(want);
  };

  it.each(samples)('%s: same -v report', (name) => sameReport(CONF, name), 60_000);

  // Debian's own filters (fail2ban 1.0.2's, as a user's /etc/fail2ban has them) on the same samples
  const debian = existsSync(join(DEBIAN, 'filter.d')) ? samples.filter((n) => existsSync(join(DEBIAN, 'filter.d', `${n}.conf`))) : [];
  it.each(debian.filter((n) => !(n in DEBIAN_HANGS)))(
    '%s: same -v report with /etc/fail2ban',
    (name) => sameReport(DEBIAN, name),
    60_000,
  );

  it.each(Object.entries(DEBIAN_HANGS).filter(([n]) => debian.includes(n)))(
    "%s with /etc/fail2ban: a sample line 1.0.2's filter backtracks on for minutes is no problem here (%s)",
    async (name) => {
      const ours = await runOurs(['-c', DEBIAN, '--print-no-missed', '--print-no-ignored', input(name), name]);
      expect(ours.code).toBe(0);
      expect(ours.out).toMatch(/^Lines: 9 lines, 0 ignored, 8 matched, 1 missed$/m);
    },
    60_000,
  );

  it.each(samples)(
    '%s: same -o row output',
    async (name) => {
      const log = input(name);
      const args = ['-c', CONF, '-o', 'row', log, name];
      const theirsRun = spawnText(F2B, args);
      const ours = await runOurs(args);
      const theirs = await theirsRun;
      expect(theirs.code, theirs.err).toBe(0);
      expect(ours.code).toBe(0);
      expect(rows(ours.out)).toEqual(rows(theirs.out));
    },
    60_000,
  );
});

/**
 * The rows, with what may differ by right evened out: "now" (a line whose date is empty happened
 * at the time it was read; Python's clock has more digits) and Python's random order of a set.
 */
const rows = (out: string): string[] => {
  const now = Date.now() / 1000;
  return out
    .split('\n')
    .filter((l) => l.startsWith('['))
    .map((l) =>
      l
        .replace(/^(\[[^\t]*,\t)(\d+(?:\.\d+)?)(,\t)/, (m, a: string, t: string, b: string) =>
          Math.abs(Number(t) - now) < 3600 ? `${a}NOW${b}` : m,
        )
        .replace(/'users': \{([^}]*)\}/g, (_m, items: string) => `'users': {${items.split(', ').sort().join(', ')}}`),
    );
};

if (!ready) it.skip(`differential sample test needs ${F2B} and the corpus at ${CORPUS}`, () => {});
