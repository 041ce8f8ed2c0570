import { afterAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { LogjailError } from '../core/errors.js';
import { emptyFilter, readFilter } from '../config/filter-reader.js';
import { cleanupTrees, makeTree } from '../config/tree.case.js';
import type { FilterDef } from '../config/types.js';
import type { TimestampWarning } from './engine.js';
import { Filter } from './filter.js';

const NOW = Date.UTC(2005, 7, 14, 10, 0, 0) / 1000;

function def(failregex: string[], extra: Partial<FilterDef> = {}): FilterDef {
  return {
    ...emptyFilter('demo', 'filter.d/demo.conf'),
    failregex: failregex.map((regex, i) => ({ regex, where: { file: 'filter.d/demo.conf', line: 5 + i } })),
    ...extra,
  };
}

describe('Filter (real translator and date detector)', () => {
  it('finds a failure in a syslog line with Python regex syntax and tags', () => {
    const f = new Filter(def([String.raw`^\s*\S+ demo\[\d+\]: (?P<what>bad|evil) login for <F-USER>\S+</F-USER> from <HOST>$`]), {
      clock: fixedClock(NOW),
      mode: 'test',
      usedns: 'raw',
      logtimezone: 'UTC',
    });
    const r = f.processLine('Aug 14 09:59:00 host demo[12]: evil login for bob from 2001:DB8::7');
    expect(r.kind).toBe('matched');
    expect(r.failures[0]).toMatchObject({ id: '2001:db8::7', time: NOW - 60 });
    expect(r.failures[0]!.fields).toMatchObject({ user: 'bob', what: 'evil' });
    expect(r.dateTemplate).not.toBeNull();
  });

  it('live mode with journal time and the 60-second rule', () => {
    const f = new Filter(def(['from <ADDR>$']), { clock: fixedClock(NOW), mode: 'live' });
    expect(f.processLine('host demo[1]: from 192.0.2.1', NOW - 10).failures[0]!.time).toBe(NOW - 10);
    expect(f.processLine('host demo[1]: from 192.0.2.1', NOW - 3600).failures[0]!.time).toBe(NOW);
  });

  it('a template that matches an empty date dates the line "now" (or the last date, when recent)', () => {
    // guacamole's `^WARNING:()**`: fail2ban takes such a line as happening now, also while a
    // daemon catches up (before, that failure was dropped for want of a date)
    const f = new Filter(def(['^WARNING: attempt from <HOST> failed']), {
      clock: fixedClock(NOW),
      mode: 'live',
      findtime: 600,
      datepattern: '^%b %d, %ExY %I:%M:%S %p\n^WARNING:()**',
      logtimezone: 'UTC',
    });
    const r = f.processLine('WARNING: attempt from 192.0.2.9 failed');
    expect(r.failures.map((x) => x.time)).toEqual([NOW]);
    f.processLine('aug 14, 2005 9:59:50 AM org.demo warn');
    expect(f.processLine('WARNING: attempt from 192.0.2.9 failed').failures.map((x) => x.time)).toEqual([NOW - 10]);
  });

  it("warns as fail2ban does about odd, old and missing timestamps, each kind once a day", () => {
    const clock = fixedClock(NOW);
    const seen: TimestampWarning[] = [];
    const f = new Filter(def(['from <HOST>$']), {
      clock,
      mode: 'live',
      findtime: 600,
      logtimezone: 'UTC',
      warn: (w) => seen.push(w),
    });
    // catching up: a line older than findtime is skipped
    f.inOperation = false;
    f.processLine('Aug 14 08:00:00 host demo: from 192.0.2.1');
    f.processLine('Aug 14 08:00:01 host demo: from 192.0.2.1');
    f.inOperation = true;
    // in operation: two hours off is a time zone problem; the failure counts as now
    expect(f.processLine('Aug 14 12:00:00 host demo: from 192.0.2.2').failures[0]!.time).toBe(NOW);
    f.processLine('Aug 14 07:59:00 host demo: from 192.0.2.2');
    // no date at all (and none recent to reuse): named as '' with the matched line
    clock.advance(120);
    f.processLine('host demo: from 192.0.2.3');
    expect(seen).toEqual([
      { kind: 'old', findtime: 600, line: 'Aug 14 08:00:00 host demo: from 192.0.2.1' },
      { kind: 'odd', delta: 7200, line: 'Aug 14 12:00:00 host demo: from 192.0.2.2' },
      { kind: 'none', timeText: '', matched: ['host demo: from 192.0.2.3'] },
    ]);
    clock.advance(86400);
    f.processLine('host demo: from 192.0.2.3');
    expect(seen).toHaveLength(4);
  });

  it('tells which dates fail2ban holds as ints: converted with a zone, not local ones', () => {
    const opts = { clock: fixedClock(NOW), mode: 'test' as const, usedns: 'raw' as const };
    const local = new Filter(def(['from <HOST>']), opts);
    expect(local.processLine('Aug 14 09:59:00 host demo: from 192.0.2.1').intTime).toBe(false);
    expect(local.processLine('2005-08-14 09:59:00 +0200 host demo: from 192.0.2.1').intTime).toBe(true);
    expect(local.processLine('@4000000042ff1ea400000000 host demo: from 192.0.2.1').intTime).toBe(true);
    expect(local.processLine('1123999140 host demo: from 192.0.2.1').intTime).toBe(false);
    const zoned = new Filter(def(['from <HOST>']), { ...opts, logtimezone: 'UTC' });
    expect(zoned.processLine('Aug 14 09:59:00 host demo: from 192.0.2.1').intTime).toBe(true);
  });

  it('names file:line of an untranslatable failregex', () => {
    expect(() => new Filter(def(['from <HOST>', 'bad (?(nosuch)a|b) <HOST>']), { clock: fixedClock(NOW), mode: 'live' })).toThrow(LogjailError);
    expect(() => new Filter(def(['from <HOST>', 'no id here']), { clock: fixedClock(NOW), mode: 'live' })).toThrow(/demo\.conf:6/);
  });

  it('names file:line of a bad datepattern or prefregex read from a filter file', () => {
    const dir = makeTree({
      'filter.d/d.conf': '[Definition]\nfailregex = from <HOST>\ndatepattern = ^%%Q\n',
      'filter.d/p.conf': '[Definition]\nfailregex = from <HOST>\n\nprefregex = ^(<F-CONTENT>.+$\n',
    });
    const build = (name: string, jailOptions?: Record<string, string>): string => {
      try {
        new Filter(readFilter(dir, name, {}, jailOptions, { where: { file: '/j.conf', line: 7 } }), { clock: fixedClock(NOW), mode: 'live' });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    expect(build('d')).toMatch(new RegExp(`^${dir}/filter\\.d/d\\.conf:3: Failed to set datepattern '\\^%Q'`));
    expect(build('p')).toMatch(new RegExp(`^${dir}/filter\\.d/p\\.conf:4: `));
    // a jail that overrides another filter option does not take the blame
    expect(build('d', { maxlines: '2' })).toMatch(new RegExp(`^${dir}/filter\\.d/d\\.conf:3: `));
    expect(build('d', { datepattern: '^%Q' })).toMatch(/^\/j\.conf:7: /);
  });
});

afterAll(cleanupTrees);

describe('Filter with the real translator: anchored-regex prefilter', () => {
  it('derives start prefixes and still matches every line it should', () => {
    const def = {
      name: 'pre',
      file: 'filter.d/pre.conf',
      prefregex: null,
      maxlines: 1,
      datepattern: null,
      journalmatch: [],
      usedns: null,
      options: {},
      failregex: ['^(?:Failed|Invalid) for <HOST>$', '^[Uu]ser \\S+ from <HOST>$', 'refused from <HOST>$'].map((regex, i) => ({ regex, where: { file: 'filter.d/pre.conf', line: i + 1 } })),
      ignoreregex: [],
    };
    const f = new Filter(def, { clock: fixedClock(1_700_000_000), mode: 'test', checkAll: true, usedns: 'raw' });
    expect(f.failRegexes.map((r) => r.regex.prefixes)).toEqual([['Failed', 'Invalid'], ['U', 'u'], null]);
    const hits = ['Failed for 192.0.2.1', 'Invalid for 192.0.2.2', 'user x from 192.0.2.3', 'User y from 192.0.2.4', 'Failed refused from 192.0.2.5', 'xFailed for 192.0.2.6'].map(
      (l) => f.processLine(l).failHits,
    );
    expect(hits).toEqual([[0], [0], [1], [1], [2], []]);
  });

  it('picks the regexes again when a hit hands the rest of them another text', () => {
    // checkAll: an ignored hit on the prefregex content sends the next failregexes the whole
    // line, which starts with another character than the content
    const f = new Filter(
      def(['^Failed from <HOST>$', '^host1 Failed from <HOST>$'], {
        prefregex: '^<F-MLFID>\\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$',
        ignoreregex: [{ regex: '^Failed from 192\\.0\\.2\\.9$', where: { file: 'filter.d/demo.conf', line: 9 } }],
      }),
      { clock: fixedClock(NOW), mode: 'test', checkAll: true, usedns: 'raw' },
    );
    const r = f.processLine('host1 Failed from 192.0.2.9');
    expect(r.ignoreHits).toEqual([0]);
    expect(r.failHits).toEqual([1]);
    expect(r.failures.map((x) => x.id)).toEqual(['192.0.2.9']);
  });
});

describe('Filter: the one-scan "could any failregex match" gate', () => {
  const d = def([String.raw`^bad (?:login|auth) from <HOST>$`, String.raw`^denied for \S+ from <HOST>$`], {
    prefregex: String.raw`^\s*<F-MLFID>\S+ demo\[\d+\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$`,
  });
  const lines = [
    'Aug 14 09:59:00 host demo[1]: all fine here',
    'Aug 14 09:59:01 host demo[2]: bad login from 192.0.2.1',
    'Aug 14 09:59:02 host other[3]: bad auth from 192.0.2.2',
    'Aug 14 09:59:03 host demo[4]: denied for x from 192.0.2.3',
    'Aug 14 09:59:04 host demo[5]: denied  for x from 192.0.2.4',
  ];

  it('live: the same failures as without it', () => {
    const f = new Filter(d, { clock: fixedClock(NOW - 55), mode: 'live', usedns: 'raw', logtimezone: 'UTC' });
    expect(lines.map((l) => f.processLine(l).failures.map((x) => x.id))).toEqual([[], ['192.0.2.1'], [], ['192.0.2.3'], []]);
  });

  it('live: a literal that holds another one leaves the gate, and both regexes still match', () => {
    const g = def([String.raw`^\s*Failed publickey for <HOST>$`, String.raw`^\s*Failed <HOST>$`, String.raw`^\s*Connection closed by <HOST>$`]);
    const f = new Filter(g, { clock: fixedClock(NOW - 55), mode: 'live', usedns: 'raw', logtimezone: 'UTC' });
    const found = ['Failed publickey for 192.0.2.1', 'Failed 192.0.2.2', 'Connection closed by 192.0.2.3', 'Connection 192.0.2.4'].map(
      (l) => f.processLine(`Aug 14 09:59:00 ${l}`).failures.map((x) => x.id),
    );
    expect(found).toEqual([['192.0.2.1'], ['192.0.2.2'], ['192.0.2.3'], []]);
  });

  it('regex tool: prefregex hits are still counted on lines no failregex matches', () => {
    const f = new Filter(d, { clock: fixedClock(NOW), mode: 'test', checkAll: true, usedns: 'raw', logtimezone: 'UTC' });
    for (const l of lines) f.processLine(l);
    expect(f.prefRegex!.hits).toBe(4);
    expect(f.failRegexes.map((r) => r.hits)).toEqual([1, 1]);
  });
});
