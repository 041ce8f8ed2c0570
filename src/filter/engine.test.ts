import { describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { RegexTranslateError } from '../core/errors.js';
import type { FilterDef } from '../config/types.js';
import type { CompiledRegexLike, DateDetectorLike, DateMatchLike, FilterDeps, RegexCompileOptions } from './deps.js';
import { capLine, FilterEngine, type FilterRuntimeOptions } from './engine.js';

// --- small fakes of the translator and the date detector (just enough fail2ban tags) ---

const IP4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
const IP6 = String.raw`(?:[0-9a-fA-F]{1,4}::?|:){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)`;
const ADDR = String.raw`\[?(?:(?:::f{4,6}:)?(?<ip4>${IP4})|(?<ip6>${IP6}))\]?`;

function fakeCompile(regex: string, opts: RegexCompileOptions): CompiledRegexLike {
  let skip = 0;
  const open = new Set<string>();
  const src = regex
    .replace(/<HOST>/g, opts.usedns === 'no' ? ADDR : String.raw`(?:${ADDR}|(?<dns>[\w\-.^_]*\w))`)
    .replace(/<ADDR>/g, ADDR)
    .replace(/<F-ID\/>/g, String.raw`(?<fid>\S+)`)
    .replace(/<SKIPLINES>/g, () => String.raw`\n(?<skiplines${skip++}>(?:(?:.*\n)*?))`)
    .replace(/<(\/?)F-([A-Z0-9_-]+)>/g, (all, close: string, name: string) => {
      if (close) return open.has(name) ? ')' : all;
      open.add(name);
      const n = name.toLowerCase();
      return `(?<${n === 'id' ? 'fid' : n}>`;
    })
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  const re = new RegExp(src, opts.multiline ? 'm' : '');
  const groupNames = [...new Set([...src.matchAll(/\(\?<([A-Za-z_]\w*)>/g)].map((m) => m[1]!))];
  return {
    source: src,
    groupNames,
    mayMatch: () => true,
    testSubject(subject, ascii) {
      return this.execSubject(subject, ascii) !== null;
    },
    execSubject(subject) {
      // single-line subjects end in the "\n" fail2ban appends; JS `$` would not match before it
      const m = re.exec(opts.multiline ? subject : subject.slice(0, -1));
      if (!m) return null;
      return { index: m.index, end: m.index + m[0].length, groups: { ...m.groups } };
    },
  };
}

/** Dates like `2005-08-14 12:00:00` (UTC) anywhere in the line. */
function fakeDates(): DateDetectorLike {
  const template = { name: 'ISO', hits: 0 };
  return {
    isNone: false,
    match(line): DateMatchLike | null {
      const m = /(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)/.exec(line);
      if (!m) return null;
      const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
      template.hits++;
      const time = y === 0 ? NaN : Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
      return { time, start: m.index, end: m.index + m[0].length, template };
    },
  };
}

const deps: FilterDeps<CompiledRegexLike, DateDetectorLike> = {
  compileRegex: fakeCompile,
  createDateDetector: fakeDates,
  maxLineLength: 200,
};

const NOW = Date.UTC(2005, 7, 14, 12, 0, 0) / 1000;

function def(over: Partial<FilterDef> & { fail: string[]; ignore?: string[] }): FilterDef {
  return {
    name: 't',
    file: 'filter.d/t.conf',
    prefregex: null,
    maxlines: 1,
    datepattern: null,
    journalmatch: [],
    usedns: null,
    options: {},
    ...over,
    failregex: over.fail.map((regex, i) => ({ regex, where: { file: 'filter.d/t.conf', line: 10 + i } })),
    ignoreregex: (over.ignore ?? []).map((regex, i) => ({ regex, where: { file: 'filter.d/t.conf', line: 30 + i } })),
  };
}

function engine(d: FilterDef, opts: Partial<FilterRuntimeOptions> = {}) {
  const clock = fixedClock(NOW);
  const e = new FilterEngine(d, { clock, mode: 'test', checkAll: true, usedns: 'raw', ...opts }, deps);
  return { e, clock };
}

describe('FilterEngine single line', () => {
  it('cuts the date out, finds the host and the time', () => {
    const { e } = engine(def({ fail: ['^ sshd: fail from <HOST>$'] }));
    const r = e.processLine('2005-08-14 11:59:00 sshd: fail from 192.0.2.1');
    expect(r.kind).toBe('matched');
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatchObject({ id: '192.0.2.1', ip: '192.0.2.1', time: NOW - 60, count: 1 });
    expect(r.failures[0]!.matches).toEqual(['2005-08-14 11:59:00 sshd: fail from 192.0.2.1']);
    expect(r.dateTemplate).toBe('ISO');
    expect(r.failHits).toEqual([0]);
    expect(e.failRegexes[0]!.hits).toBe(1);
  });

  it('matches an over-long line on its two ends: padding the middle cannot hide the address', () => {
    const { e } = engine(def({ fail: ['^ sshd: invalid user \\S+ from <HOST>$'] }));
    const line = `2005-08-14 11:59:00 sshd: invalid user ${'x'.repeat(500)} from 192.0.2.8`;
    const r = e.processLine(line);
    expect(r.failures[0]).toMatchObject({ id: '192.0.2.8' });
    expect(r.failures[0]!.matches[0]).toHaveLength(200);
    expect(capLine('abcdefghij', 4)).toBe('abij');
  });

  it('misses lines no regex matches', () => {
    const { e } = engine(def({ fail: ['^fail from <HOST>$'] }));
    const r = e.processLine('2005-08-14 11:59:00 all good');
    expect(r).toMatchObject({ kind: 'missed', failures: [], failHits: [] });
  });

  it('normalises IPv6 and IPv4-mapped addresses; keeps invalid ones raw', () => {
    const { e } = engine(def({ fail: ['from <HOST>$'] }));
    expect(e.processLine('2005-08-14 11:59:00 from 2001:DB8:0:0:0::1').failures[0]!.id).toBe('2001:db8::1');
    expect(e.processLine('2005-08-14 11:59:00 from ::ffff:192.0.2.7').failures[0]!.id).toBe('192.0.2.7');
    expect(e.processLine('2005-08-14 11:59:00 from 192.030.0.6').failures[0]!.id).toBe('192.030.0.6');
    expect(e.processLine('2005-08-14 11:59:00 from example.com').failures[0]).toMatchObject({ id: 'example.com', ip: null });
  });

  it('usedns: no drops host names, yes marks them for resolution', () => {
    const no = engine(def({ fail: ['from <HOST>$'] }), { usedns: 'no' }).e;
    expect(no.processLine('2005-08-14 11:59:00 from example.com').failures).toEqual([]);
    const yes = engine(def({ fail: ['from <HOST>$'] }), { usedns: 'yes' }).e;
    expect(yes.processLine('2005-08-14 11:59:00 from example.com').failures[0]).toMatchObject({ id: 'example.com', resolveDns: 'yes' });
    expect(yes.processLine('2005-08-14 11:59:00 from 192.0.2.9').failures[0]).toMatchObject({ id: '192.0.2.9' });
  });

  it('uses the fid as id and keeps the differing address as ip', () => {
    const { e } = engine(def({ fail: ['user <F-ID>\\S+</F-ID> from <ADDR>'] }));
    expect(e.processLine('2005-08-14 11:59:00 user bob from 192.0.2.3').failures[0]).toMatchObject({ id: 'bob', ip: '192.0.2.3' });
  });

  it('rejects a failregex without failure-id group, naming file:line', () => {
    expect(() => engine(def({ fail: ['^ok$', '^no id here$'] }))).toThrow(RegexTranslateError);
    expect(() => engine(def({ fail: ['^ok <HOST>$', '^no id here$'] }))).toThrow(/filter\.d\/t\.conf:11/);
  });

  it('prefregex: skips non-matching lines, F-CONTENT replaces the text, failregex groups win', () => {
    const d = def({
      prefregex: '^ <F-MLFID>host \\S+:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$',
      fail: ['^bad from <HOST>(?: user=<F-USER>\\S+</F-USER>)?$'],
    });
    const { e } = engine(d, { checkAll: false });
    expect(e.processLine('2005-08-14 11:59:00 other line').kind).toBe('missed');
    expect(e.prefRegex!.hits).toBe(0);
    const r = e.processLine('2005-08-14 11:59:00 host a: bad from 192.0.2.4 user=eve');
    expect(r.failures[0]).toMatchObject({ id: '192.0.2.4' });
    expect(r.failures[0]!.fields.user).toBe('eve');
    expect(e.prefRegex!.hits).toBe(1);
  });

  it('first match wins unless checkAll; checkAll reports every hit', () => {
    const d = def({ fail: ['bad from <HOST>', 'from <HOST>$'] });
    const first = engine(d, { checkAll: false }).e.processLine('2005-08-14 11:59:00 bad from 192.0.2.1');
    expect(first.failHits).toEqual([0]);
    const all = engine(d).e.processLine('2005-08-14 11:59:00 bad from 192.0.2.1');
    expect(all.failHits).toEqual([0, 1]);
    expect(all.failureRegex).toEqual([0, 1]);
  });

  it('ignoreregex drops the failure and classifies the line as ignored', () => {
    const { e } = engine(def({ fail: ['from <HOST>$'], ignore: ['from 192\\.0\\.2\\.250$'] }));
    const r = e.processLine('2005-08-14 11:59:00 from 192.0.2.250');
    expect(r).toMatchObject({ kind: 'ignored', failures: [], ignoreHits: [0] });
    expect(e.ignoreRegexes[0]!.hits).toBe(1);
    expect(e.processLine('2005-08-14 11:59:00 from 192.0.2.251').kind).toBe('matched');
  });

  it('alt_ groups fill empty values', () => {
    const { e } = engine(def({ fail: ['ruser=<F-ALT_USER>\\S*</F-ALT_USER> rhost=<HOST>(?: user=<F-USER>\\S*</F-USER>)?$'] }));
    expect(e.processLine('2005-08-14 11:59:00 ruser=bob rhost=192.0.2.1').failures[0]!.fields.user).toBe('bob');
    expect(e.processLine('2005-08-14 11:59:00 ruser=bob rhost=192.0.2.1 user=al').failures[0]!.fields.user).toBe('al');
  });

  it('F-NOFAIL matches are hits but no failures (ignored lines)', () => {
    const { e } = engine(def({ fail: ['^ <F-NOFAIL>hello</F-NOFAIL> from <HOST>$'] }));
    const r = e.processLine('2005-08-14 11:59:00 hello from 192.0.2.1');
    expect(r).toMatchObject({ kind: 'ignored', failures: [], failHits: [0] });
  });

  it('cuts the middle out of overlong lines', () => {
    const { e } = engine(def({ fail: ['from <HOST> '] }));
    expect(e.processLine(`2005-08-14 11:59:00 ${'x'.repeat(150)} from 192.0.2.1 ${'y'.repeat(150)}`).kind).toBe('missed');
    expect(e.processLine(`2005-08-14 11:59:00 ${'x'.repeat(50)} from 192.0.2.1 ${'y'.repeat(50)}`).kind).toBe('matched');
  });
});

describe('FilterEngine dates', () => {
  it('test mode: an undated line still matches, without time', () => {
    const { e } = engine(def({ fail: ['from <HOST>$'] }));
    const r = e.processLine('from 192.0.2.1');
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.time).toBeNaN();
    expect(r.time).toBeNull();
  });

  it('an unparsable date is still cut out of the text', () => {
    const { e } = engine(def({ fail: ['^ srv: from <HOST>$'] }));
    const r = e.processLine('0000-12-30 00:00:00 srv: from 192.0.2.1');
    expect(r.failures[0]!.id).toBe('192.0.2.1');
  });

  it('undated lines reuse a date younger than 60 s', () => {
    const { e } = engine(def({ fail: ['from <HOST>$'] }));
    e.processLine('2005-08-14 11:59:30 hello');
    expect(e.processLine('from 192.0.2.1').failures[0]!.time).toBe(NOW - 30);
  });

  it('live mode: undated → now; far-off dates → now; future capped', () => {
    const { e } = engine(def({ fail: ['from <HOST>$'] }), { mode: 'live', checkAll: false });
    expect(e.processLine('from 192.0.2.1').failures[0]!.time).toBe(NOW);
    expect(e.processLine('2005-08-14 09:00:00 from 192.0.2.1').failures[0]!.time).toBe(NOW);
    expect(e.processLine('2005-08-14 11:59:20 from 192.0.2.1').failures[0]!.time).toBe(NOW - 40);
  });

  it('live mode while catching up: drops lines older than findtime, undated lines do not count', () => {
    const { e } = engine(def({ fail: ['from <HOST>$'] }), { mode: 'live', checkAll: false, findtime: 600 });
    e.inOperation = false;
    expect(e.processLine('2005-08-14 11:00:00 from 192.0.2.1').kind).toBe('missed');
    expect(e.processLine('2005-08-14 11:55:00 from 192.0.2.1').failures[0]!.time).toBe(NOW - 300);
    expect(e.processLine('from 192.0.2.1').failures).toEqual([]);
  });

  it('source time (journal) replaces date parsing', () => {
    const { e } = engine(def({ fail: ['^2005-01-01 00:00:00 from <HOST>$'] }));
    const r = e.processLine('2005-01-01 00:00:00 from 192.0.2.1', NOW - 5);
    expect(r.failures[0]!.time).toBe(NOW - 5);
  });
});

describe('FilterEngine multi-line buffer', () => {
  it('matches across lines with SKIPLINES and removes only the matched lines', () => {
    const d = def({ maxlines: 4, fail: ['^ conn (?P<c>\\d+) from <HOST>$<SKIPLINES>^ fail (?P=c)$'] });
    const { e } = engine(d);
    expect(e.processLine('2005-08-14 11:59:00 conn 7 from 192.0.2.1').kind).toBe('missed');
    expect(e.processLine('2005-08-14 11:59:01 noise').kind).toBe('missed');
    const r = e.processLine('2005-08-14 11:59:02 fail 7');
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.id).toBe('192.0.2.1');
    expect(r.failures[0]!.matches).toEqual(['2005-08-14 11:59:00 conn 7 from 192.0.2.1', '2005-08-14 11:59:02 fail 7']);
    // the matched lines left the window: the same failure is not found again
    expect(e.processLine('2005-08-14 11:59:03 other').kind).toBe('missed');
  });

  it('the prefregex and ignoreregexes keep single-line ^ and $ (fail2ban compiles only failregexes MULTILINE)', () => {
    const d = def({
      maxlines: 2,
      prefregex: '^ app: <F-CONTENT>.+</F-CONTENT>$',
      fail: ['^fail from <HOST>$'],
    });
    const { e } = engine(d);
    // the buffer holds one line: the prefregex matches, nothing else does
    expect(e.processLine('2005-08-14 11:59:00 app: noise')).toMatchObject({ kind: 'missed', prefMatched: true });
    // two lines in the buffer: `.+$` cannot reach past the first one, so the failure is not seen
    expect(e.processLine('2005-08-14 11:59:01 app: fail from 192.0.2.1')).toMatchObject({ kind: 'missed', prefMatched: false });

    // one ignoreregex for four failregexes is tried first, on the whole buffer: its `^` is the
    // buffer's start, so the second line is not ignored
    const fail = ['^ fail from <HOST>$', '^ a <HOST>$', '^ b <HOST>$', '^ c <HOST>$'];
    const ign = engine(def({ maxlines: 2, fail, ignore: ['^ fail from 192\\.0\\.2\\.9$'] })).e;
    ign.processLine('2005-08-14 11:59:00 noise');
    expect(ign.processLine('2005-08-14 11:59:01 fail from 192.0.2.9')).toMatchObject({ kind: 'matched', ignoreHits: [] });
    // alone in the buffer, the same line is ignored
    const alone = engine(def({ maxlines: 2, fail, ignore: ['^ fail from 192\\.0\\.2\\.9$'] })).e;
    expect(alone.processLine('2005-08-14 11:59:01 fail from 192.0.2.9').kind).toBe('ignored');
  });

  it('a failregex hit on the prefregex content maps onto the original buffer by line count', () => {
    // the prefregex spans both buffered lines ([\s\S]*?), its content is one line: fail2ban then
    // takes the buffer's first line as the matched one and keeps the second
    const d = def({ maxlines: 2, prefregex: '^[\\s\\S]*?app: <F-CONTENT>.+</F-CONTENT>$', fail: ['^fail from <HOST>$'] });
    const { e } = engine(d);
    expect(e.processLine('2005-08-14 11:59:00 noise').kind).toBe('missed');
    const r = e.processLine('2005-08-14 11:59:01 app: fail from 192.0.2.1');
    expect(r.kind).toBe('matched');
    expect(r.failures[0]!.matches).toEqual(['2005-08-14 11:59:00 noise']);
    expect(e.bufferedLines.map((l) => l.orig)).toEqual(['2005-08-14 11:59:01 app: fail from 192.0.2.1']);
  });
});

describe('FilterEngine MLFID sessions', () => {
  const sessions = def({
        prefregex: '^ <F-MLFID>\\S+ sshd\\[\\d+\\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$',
        fail: [
          '^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>$',
          '^Too many failures(?: for <F-USER>\\S+</F-USER>)?$',
          '^<F-NOFAIL>pam failure</F-NOFAIL> ruser=<F-USER>\\S+</F-USER> rhost=<HOST>$',
          '^<F-MLFFORGET><F-MLFGAINED>Accepted</F-MLFGAINED></F-MLFFORGET> for <F-USER>\\S+</F-USER> from <HOST>$',
          '^<F-NOFAIL><F-MLFFORGET>Connection closed</F-MLFFORGET></F-NOFAIL> by <HOST>$',
        ],
      });
  const mk = () => engine(sessions).e;

  it('details: false finds the same failures without holding their lines or fields', () => {
    const lines = [
      '2005-08-14 11:50:00 h sshd[2]: Connection from 192.0.2.6',
      '2005-08-14 11:50:01 h sshd[2]: Too many failures for root',
      '2005-08-14 11:50:02 h sshd[3]: pam failure ruser=bob rhost=192.0.2.7',
      '2005-08-14 11:50:03 h sshd[3]: Too many failures',
    ];
    const run = (details: boolean) => {
      const e = new FilterEngine(sessions, { clock: fixedClock(NOW), mode: 'test', usedns: 'raw', details }, deps);
      return lines.flatMap((l) => e.processLine(l).failures);
    };
    const kept = run(true);
    const bare = run(false);
    expect(kept.map((f) => f.matches)).toEqual([lines.slice(0, 2), lines.slice(2)]);
    expect(bare.map((f) => f.matches)).toEqual([[], []]);
    const facts = (fs: typeof kept) => fs.map(({ id, time, users }) => ({ id, time, users }));
    expect(facts(bare)).toEqual(facts(kept));
    expect(kept[1]!.fields.user).toBe('bob');
    expect(bare.map((f) => f.fields)).toEqual([{}, {}]);
  });

  it('a failure without address waits for the session address', () => {
    const e = mk();
    const a = e.processLine('2005-08-14 11:50:00 h sshd[1]: Too many failures for root');
    expect(a).toMatchObject({ kind: 'matched', failures: [], failHits: [1] });
    const b = e.processLine('2005-08-14 11:50:01 h sshd[1]: Connection closed by 192.0.2.5');
    expect(b.failures).toHaveLength(1);
    expect(b.failures[0]).toMatchObject({ id: '192.0.2.5', time: NOW - 599 });
    expect(b.failures[0]!.matches).toHaveLength(2);
  });

  it('an address from a no-failure line completes later failures', () => {
    const e = mk();
    expect(e.processLine('2005-08-14 11:50:00 h sshd[2]: Connection from 192.0.2.6').kind).toBe('ignored');
    const r = e.processLine('2005-08-14 11:50:01 h sshd[2]: Too many failures');
    expect(r.failures[0]).toMatchObject({ id: '192.0.2.6' });
    expect(r.failures[0]!.matches).toHaveLength(2);
    // other session: no address
    expect(e.processLine('2005-08-14 11:50:01 h sshd[3]: Too many failures').failures).toEqual([]);
  });

  it('a successful login forgives the same user, not several users', () => {
    const e = mk();
    e.processLine('2005-08-14 11:50:00 h sshd[4]: pam failure ruser=rda rhost=192.0.2.7');
    expect(e.processLine('2005-08-14 11:50:01 h sshd[4]: Accepted for rda from 192.0.2.7').failures).toEqual([]);

    e.processLine('2005-08-14 11:50:00 h sshd[5]: pam failure ruser=root rhost=192.0.2.8');
    const second = e.processLine('2005-08-14 11:50:01 h sshd[5]: pam failure ruser=sudoer rhost=192.0.2.8');
    expect(second.failures).toHaveLength(1);
    expect(second.failures[0]!.matches).toHaveLength(2);
    expect(new Set(second.failures[0]!.users)).toEqual(new Set(['root', 'sudoer']));
    const gained = e.processLine('2005-08-14 11:50:02 h sshd[5]: Accepted for known from 192.0.2.8');
    expect(gained.failures).toHaveLength(1);
    expect(gained.failures[0]!.matches).toHaveLength(1);
    expect(new Set(gained.failures[0]!.users)).toEqual(new Set(['root', 'sudoer', 'known']));
  });

  it('live mode stops at a no-failure hit', () => {
    const { e } = engine(
      def({
        prefregex: '^ <F-MLFID>\\S+ sshd\\[\\d+\\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$',
        fail: ['^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>$', '^Connection from <HOST>$'],
      }),
      { mode: 'live', checkAll: false },
    );
    const r = e.processLine('2005-08-14 11:59:59 h sshd[9]: Connection from 192.0.2.1');
    expect(r).toMatchObject({ kind: 'ignored', failures: [] });
  });
});

describe('FilterEngine first-character prefilter', () => {
  it('skips an anchored regex whose prefixes cannot start the text, and only that one', () => {
    const calls: string[] = [];
    const withPrefixes = (prefixes: string[] | null) => (regex: string, opts: RegexCompileOptions): CompiledRegexLike => {
      const r = fakeCompile(regex, opts);
      return {
        ...r,
        prefixes,
        mayMatch: (t) => {
          calls.push(`${regex.replace('^', '').slice(0, 7)}|${t.slice(0, 8)}`);
          return true;
        },
      };
    };
    const d = def({ fail: ['^Failed from <HOST>$', '^Invalid from <HOST>$', 'refused from <HOST>$'] });
    const compile = (regex: string, opts: RegexCompileOptions): CompiledRegexLike =>
      regex.startsWith('^Failed') ? withPrefixes(['Failed '])(regex, opts) : regex.startsWith('^Invalid') ? withPrefixes(['Invalid ', 'é'])(regex, opts) : withPrefixes(null)(regex, opts);
    const e = new FilterEngine(d, { clock: fixedClock(NOW), mode: 'test', checkAll: true, usedns: 'raw' }, { ...deps, compileRegex: compile });
    expect(e.processLine('Failed from 192.0.2.1').failHits).toEqual([0]);
    expect(e.processLine('Invalid from 192.0.2.2').failHits).toEqual([1]);
    expect(e.processLine('ébad refused from 192.0.2.3').failHits).toEqual([2]);
    expect(calls).toEqual([
      'Failed |Failed f',
      'refused|Failed f',
      'Invalid|Invalid ',
      'refused|Invalid ',
      'Invalid|ébad ref', // a non-ASCII first character: left to mayMatch when a prefix has one
      'refused|ébad ref',
    ]);
  });
});
