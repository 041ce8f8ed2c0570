process.env.TZ = 'Europe/Zurich';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import { DateDetector, parseTimezone } from './index.js';

/** fail2ban's test "now": 2005-08-14 12:00:00 CEST. */
const NOW = 1124013600;

/** Epoch of a Zurich wall-clock time. */
function local(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  return new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
}

function detector(datepattern: string | null = null, now = NOW, logtimezone: string | null = null): DateDetector {
  return new DateDetector({ datepattern, clock: fixedClock(now), logtimezone, where: { file: 'filter.d/x.conf', line: 7 } });
}

const SYSLOG = '{^LN-BEG}(?:DAY )?MON Day %k:Minute:Second(?:\\.Microseconds)?(?: ExYear)?';
const ISO =
  '{^LN-BEG}ExYear(?P<_sep>[-/.])Month(?P=_sep)Day(?:T|  ?)24hour:Minute:Second(?:[.,]Microseconds)?(?:\\s*Zone offset)?';

describe('default templates', () => {
  it('lists the 14 line-start copies first, then the 17 originals', () => {
    const names = detector().templates.map((t) => t.name);
    expect(names).toHaveLength(31);
    expect(names[0]).toBe(ISO);
    expect(names[1]).toBe(SYSLOG);
    expect(names[7]).toBe('{^LN-BEG}Epoch');
    expect(names[13]).toBe('{^LN-BEG}TAI64N');
    expect(names[14]).toBe(ISO.slice('{^LN-BEG}'.length));
    expect(names.slice(21, 24)).toEqual(['Epoch', '{^LN-BEG}24hour:Minute:Second', '^<Month/Day/ExYear2@24hour:Minute:Second>']);
    expect(names[30]).toBe('TAI64N');
  });

  // [line, expected epoch, expected date text]
  const cases: [string, number, string][] = [
    ['2005-01-23T21:59:59.981746+02:00 x', Date.UTC(2005, 0, 23, 19, 59, 59) / 1000, '2005-01-23T21:59:59.981746+02:00'],
    ['2005/01/23 21:59:59 x', local(2005, 1, 23, 21, 59, 59), '2005/01/23 21:59:59'],
    ['2006.12.21 06:43:20 x', local(2006, 12, 21, 6, 43, 20), '2006.12.21 06:43:20'],
    ['2005-01-23  8:59:59 x', local(2005, 1, 23, 8, 59, 59), '2005-01-23  8:59:59'],
    ['Jan 23 21:59:59 host', local(2005, 1, 23, 21, 59, 59), 'Jan 23 21:59:59'],
    ['Sun Jan 23 21:59:59.011 2005 x', local(2005, 1, 23, 21, 59, 59), 'Sun Jan 23 21:59:59.011 2005'],
    ['Sun Jan 23 2005 21:59:59 x', local(2005, 1, 23, 21, 59, 59), 'Sun Jan 23 2005 21:59:59'],
    ['23/01/2005 21:59:59 x', local(2005, 1, 23, 21, 59, 59), '23/01/2005 21:59:59'],
    ['23/01/05 21:59:59 x', local(2005, 1, 23, 21, 59, 59), '23/01/05 21:59:59'],
    ['17-07-2008 17:23:25 x', local(2008, 7, 17, 17, 23, 25), '17-07-2008 17:23:25'],
    ['[31/Oct/2006:09:22:55 -0000] x', Date.UTC(2006, 9, 31, 9, 22, 55) / 1000, '31/Oct/2006:09:22:55 -0000'],
    ['26-Jul-2007 15:20:52.252 x', local(2007, 7, 26, 15, 20, 52), '26-Jul-2007 15:20:52.252'],
    ['05/20/2008:01:57:39 x', local(2008, 5, 20, 1, 57, 39), '05/20/2008:01:57:39'],
    ['01-27-2012 16:22:44.252 x', local(2012, 1, 27, 16, 22, 44), '01-27-2012 16:22:44.252'],
    ['1124013600.123456 x', 1124013600.123456, '1124013600.123456'],
    ['11:59:59 x', local(2005, 8, 14, 11, 59, 59), '11:59:59'],
    ['<09/16/08@05:03:30> x', local(2008, 9, 16, 5, 3, 30), '<09/16/08@05:03:30>'],
    ['130322 11:46:11 x', local(2013, 3, 22, 11, 46, 11), '130322 11:46:11'],
    ['Jan 23, 2005 9:59:59 PM x', local(2005, 1, 23, 21, 59, 59), 'Jan 23, 2005 9:59:59 PM'],
    ['Apr-27-13 02:33:06 x', local(2013, 4, 27, 2, 33, 6), 'Apr-27-13 02:33:06'],
    ['20050123T215959 x', local(2005, 1, 23, 21, 59, 59), '20050123T215959'],
    ['20050123-21:59:59 x', local(2005, 1, 23, 21, 59, 59), '20050123-21:59:59'],
    ['PDT Apr 16 21:05:29 x', Date.UTC(2005, 3, 17, 4, 5, 29) / 1000, 'PDT Apr 16 21:05:29'],
    ['+00:00 Jan 23 21:59:59.011 2005 x', Date.UTC(2005, 0, 23, 21, 59, 59) / 1000, '+00:00 Jan 23 21:59:59.011 2005'],
    ['@4000000042fef8a51b8dc8d4 x', 0x42fef8a5, '@4000000042fef8a51b8dc8d4'],
  ];
  it.each(cases)('%s', (line, want, text) => {
    const m = detector().match(line);
    expect(m).not.toBeNull();
    expect(m!.time).toBe(want);
    expect(line.slice(m!.start, m!.end)).toBe(text);
  });

  it('finds dates inside a line (unanchored templates)', () => {
    const dd = detector();
    const line = '192.0.2.1 - - [14/Aug/2005:11:00:00 +0200] "GET / HTTP/1.1"';
    const m = dd.match(line)!;
    expect(line.slice(m.start, m.end)).toBe('14/Aug/2005:11:00:00 +0200');
    expect(m.time).toBe(Date.UTC(2005, 7, 14, 9, 0, 0) / 1000);
    expect(m.template.name).toBe('Day(?P<_sep>[-/])MON(?P=_sep)ExYear[ :]?24hour:Minute:Second(?:\\.Microseconds)?(?: Zone offset)?');
    const audit = dd.match('type=AVC msg=audit(1124013600.250:45): denied')!;
    expect(audit.time).toBe(1124013600.25);
    expect(audit.template.name).toBe('Epoch');
  });

  it('prefers the leftmost date when several are found further right', () => {
    const line = 'x: Aug 14 11:59:59 then 2005-08-14 11:00:00';
    const m = detector().match(line)!;
    expect(line.slice(m.start, m.end)).toBe('Aug 14 11:59:59');
  });

  it('allows up to two non-word characters before a line-start date', () => {
    const m = detector().match('[Sun Aug 14 11:59:59 2005] [error] x')!;
    expect(m.template.name).toBe(SYSLOG);
    expect(m.start).toBe(1);
    expect(m.time).toBe(local(2005, 8, 14, 11, 59, 59));
  });

  it('matches month and day names case-insensitively', () => {
    expect(detector().match('aug 14 11:59:59 x')!.time).toBe(local(2005, 8, 14, 11, 59, 59));
    expect(detector().match('SUN AUG 14 11:59:59 x')!.time).toBe(local(2005, 8, 14, 11, 59, 59));
  });

  it('returns null for lines without a date and a NaN time for impossible dates', () => {
    expect(detector().match('no date in here')).toBeNull();
    const m = detector().match('Feb 30 11:00:00 x');
    expect(m).not.toBeNull();
    expect(m!.time).toBeNaN();
  });

  it('does not take digits glued to words as a date', () => {
    expect(detector().match('id12005-01-23 21:59:59x')).toBeNull();
  });
});

describe('year and day inference', () => {
  it('uses the previous year when the date would be more than a day ahead', () => {
    const newYear = local(2005, 1, 1, 0, 30, 0);
    expect(detector(null, newYear).match('Dec 31 23:59:59 x')!.time).toBe(local(2004, 12, 31, 23, 59, 59));
    expect(detector(null, newYear).match('Jan  1 12:00:00 x')!.time).toBe(local(2005, 1, 1, 12, 0, 0));
    expect(detector(null, newYear).match('Jan  2 12:00:00 x')!.time).toBe(local(2004, 1, 2, 12, 0, 0));
    expect(detector(null, local(2005, 12, 31, 23, 0, 0)).match('Jan  1 00:30:00 x')!.time).toBe(local(2005, 1, 1, 0, 30, 0));
  });

  it('puts a time-only date today, or yesterday when it is in the future', () => {
    expect(detector().match('11:00:00 x')!.time).toBe(local(2005, 8, 14, 11, 0, 0));
    expect(detector().match('12:00:01 x')!.time).toBe(local(2005, 8, 13, 12, 0, 1));
  });

  it('reads 2-digit years as 20xx', () => {
    expect(detector('%d.%m.%y %H:%M').match('14.08.99 10:00')!.time).toBe(local(2099, 8, 14, 10, 0, 0));
  });

  it('follows daylight saving time for local dates', () => {
    expect(detector().match('2005-01-23 12:00:00 x')!.time).toBe(Date.UTC(2005, 0, 23, 11, 0, 0) / 1000);
    expect(detector().match('2005-07-23 12:00:00 x')!.time).toBe(Date.UTC(2005, 6, 23, 10, 0, 0) / 1000);
  });
});

describe('datepattern values', () => {
  it('{^LN-BEG} keeps only the line-start templates', () => {
    const dd = detector('{^LN-BEG}');
    expect(dd.templates).toHaveLength(17);
    expect(dd.templates.every((t) => t.name.startsWith('{^LN-BEG}') || t.name.startsWith('^'))).toBe(true);
    expect(dd.describe()).toBe('{^LN-BEG} : Default Detectors');
    expect(dd.match('x Aug 14 11:59:59')).toBeNull();
  });

  it('{DEFAULT} adds all defaults, also after custom lines', () => {
    expect(detector('{DEFAULT}').templates).toHaveLength(31);
    const dd = detector('^L %d/%m/%Y - %H:%M:%S\n{DEFAULT}');
    expect(dd.templates).toHaveLength(32);
    expect(dd.match('L 14/08/2005 - 11:00:00: x')!.time).toBe(local(2005, 8, 14, 11, 0, 0));
    expect(dd.match('Aug 14 11:00:01 x')!.time).toBe(local(2005, 8, 14, 11, 0, 1));
  });

  it('{DATE} embeds the default templates in a context', () => {
    const dd = detector('^<\\d+>\\d+\\s+{DATE}');
    expect(dd.templates).toHaveLength(17);
    const line = '<38>1 2005-08-14T11:00:00.003Z host sshd 123 - - x';
    const m = dd.match(line)!;
    expect(m.time).toBe(Date.UTC(2005, 7, 14, 11, 0, 0) / 1000);
    expect(line.slice(m.start, m.end)).toBe('<38>1 2005-08-14T11:00:00.003Z');
    const apache = detector('^[^\\[]*\\[({DATE})\n{^LN-BEG}');
    expect(apache.templates).toHaveLength(34);
    const l2 = '192.0.2.1 - user [14/Aug/2005:11:00:00 +0200] "GET /"';
    const m2 = apache.match(l2)!;
    expect(l2.slice(m2.start, m2.end)).toBe('14/Aug/2005:11:00:00 +0200');
  });

  it('{NONE}: no date, an empty match', () => {
    const dd = detector('{NONE}');
    expect(dd.isNone).toBe(true);
    const m = dd.match('Aug 14 11:00:00 x')!;
    expect(m.end).toBe(m.start);
    expect(m.time).toBeNaN();
    expect(detector().isNone).toBe(false);
  });

  it('EPOCH, {^LN-BEG}EPOCH, ^EPOCH and LEPOCH', () => {
    expect(detector('EPOCH').match('[1124013600] x')!.time).toBe(1124013600);
    expect(detector('EPOCH').match('at 1124013600 x')).toBeNull();
    expect(detector('{^LN-BEG}EPOCH').templates[0]!.name).toBe('{^LN-BEG}Epoch');
    expect(detector('{^LN-BEG}Epoch').match('1124013600.500 x')!.time).toBe(1124013600.5);
    expect(detector('^EPOCH').match('x 1124013600')).toBeNull();
    expect(detector('LEPOCH').templates[0]!.name).toBe('LongEpoch');
    expect(detector('LEPOCH').match('1124013600123 x')!.time).toBeCloseTo(1124013600.123, 6);
    expect(detector('LEPOCH').match('1124013600123456 x')!.time).toBeCloseTo(1124013600.123456, 6);
    expect(detector('LEPOCH').match('1124013600 x')!.time).toBe(1124013600);
  });

  it('{EPOCH}/{LEPOCH} inside a custom pattern', () => {
    const dd = detector('^ts={EPOCH};');
    expect(dd.templates[0]!.name).toBe('^ts={EPOCH};');
    const m = dd.match('ts=1124013600.250; x')!;
    expect(m.time).toBe(1124013600.25);
    expect(dd.match('ts=1124013600.25; x')).toBeNull();
    expect(detector('^ms={LEPOCH} ').match('ms=1124013600250 x')!.time).toBeCloseTo(1124013600.25, 6);
  });

  it('TAI64N and {^LN-BEG}TAI64N', () => {
    const line = '@4000000042fef8a51b8dc8d4 imap-login: x';
    expect(detector('TAI64N').match(line)!.time).toBe(0x42fef8a5);
    const dd = detector('{^LN-BEG}TAI64N\n{^LN-BEG}');
    expect(dd.templates).toHaveLength(17);
    expect(dd.templates[0]!.name).toBe('{^LN-BEG}TAI64N');
    expect(dd.match(line)!.time).toBe(0x42fef8a5);
    expect(detector('{^LN-BEG}TAI64N').match('x @4000000042fef8a51b8dc8d4')).toBeNull();
  });

  it('custom strptime patterns with Python regex bits', () => {
    const dd = detector('^%Y-%m-%d %H:%M:%S');
    expect(dd.describe()).toBe('^%Y-%m-%d %H:%M:%S : ^Year-Month-Day 24hour:Minute:Second');
    expect(dd.match('2005-08-14 11:00:00 x')!.time).toBe(local(2005, 8, 14, 11, 0, 0));
    const ej = detector('^(?:=[^=]+={3,} )?(%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?)\n^I\\(()**');
    const l1 = '=INFO REPORT==== 2013-07-14 17:53:40 ===';
    const m1 = ej.match(l1)!;
    expect(l1.slice(m1.start, m1.end)).toBe('2013-07-14 17:53:40');
    expect(m1.time).toBe(local(2013, 7, 14, 17, 53, 40));
    const m2 = ej.match('I(<0.1440.0>:ejabberd_c2s:813) : x')!;
    expect(m2.template.name).toBe('^I\\(()**');
    expect(m2.end).toBe(m2.start);
    expect(m2.time).toBeNaN();
    const kerio = detector('^\\[%d/%b/%Y %H:%M:%S\\]');
    expect(kerio.match('[14/aug/2005 11:00:00] x')!.time).toBe(local(2005, 8, 14, 11, 0, 0));
  });

  it('directives %p %I %j %B %A %z %Z %Exz', () => {
    expect(detector('%I:%M:%S %p %d %B %Y').match('09:15:00 pm 14 August 2005')!.time).toBe(local(2005, 8, 14, 21, 15, 0));
    expect(detector('%I:%M:%S %p %d %B %Y').match('12:15:00 AM 14 August 2005')!.time).toBe(local(2005, 8, 14, 0, 15, 0));
    expect(detector('^%Y %j %H:%M:%S').match('2005 226 11:00:00')!.time).toBe(local(2005, 8, 14, 11, 0, 0));
    expect(detector('^%A, %d %b %Y %H:%M:%S %z').match('Sunday, 14 Aug 2005 11:00:00 +0530')!.time).toBe(
      Date.UTC(2005, 7, 14, 5, 30, 0) / 1000,
    );
    expect(detector('^%Y-%m-%d %H:%M:%S %Z').match('2005-08-14 11:00:00 CEST x')!.time).toBe(Date.UTC(2005, 7, 14, 9, 0, 0) / 1000);
    expect(detector('^%Y-%m-%d %H:%M:%S %Exz').match('2005-08-14 11:00:00 CET+0100 x')!.time).toBe(
      Date.UTC(2005, 7, 14, 9, 0, 0) / 1000,
    );
    expect(detector('^%Y-%m-%d %H:%M:%S %Z').match('2005-08-14 11:00:00 ABCD x')!.time).toBeNaN();
  });

  it('%ExY accepts only years near now', () => {
    expect(detector('^%ExY-%m-%d %H:%M').match('1999-08-14 11:00')).toBeNull();
    expect(detector('^%Y-%m-%d %H:%M').match('1999-08-14 11:00')!.time).toBe(local(1999, 8, 14, 11, 0, 0));
    expect(detector('^%ExY-%m-%d %H:%M').match('2006-08-14 11:00')!.time).toBe(local(2006, 8, 14, 11, 0, 0));
  });

  it('boundary guards: default word guards, {UNB} and **', () => {
    expect(detector('%H:%M:%S').match('x11:00:00')).toBeNull();
    expect(detector('{UNB}%H:%M:%S').match('x11:00:00')!.time).toBe(local(2005, 8, 14, 11, 0, 0));
    expect(detector('**%H:%M:%S').match('x11:00:00')!.time).toBe(local(2005, 8, 14, 11, 0, 0));
    expect(detector('%H:%M:%S').match('11:00:00x')).toBeNull();
    expect(detector('%H:%M:%S**').match('11:00:00x')!.time).toBe(local(2005, 8, 14, 11, 0, 0));
  });

  it('several lines make several templates; describe names the first when ≤ 2', () => {
    const dd = detector('^%Y-%m-%d %H:%M:%S\n  \n^%d.%m.%Y %H:%M:%S');
    expect(dd.templates).toHaveLength(2);
    expect(dd.describe()).toBe('^%Y-%m-%d %H:%M:%S\n  \n^%d.%m.%Y %H:%M:%S : ^Year-Month-Day 24hour:Minute:Second');
    expect(dd.match('14.08.2005 11:00:00 x')!.time).toBe(local(2005, 8, 14, 11, 0, 0));
    expect(detector(null).describe()).toBe('Default Detectors');
  });

  it('a datepattern line equal to a line-start default has its weight when the defaults follow (template order)', () => {
    // nsd's datepattern; checked against fail2ban-regex 1.0.2: after two epoch lines, an ISO
    // line's template does not outweigh `{^LN-BEG}Epoch` (weight 100 × 2 hits), so it stays second
    const names = (dp: string, lines: string[]): string[] => {
      const dd = detector(dp);
      for (const l of lines) dd.match(l);
      return dd.templates.filter((t) => t.hits > 0).map((t) => `${String(t.hits)} ${t.name}`);
    };
    const lines = ['[1124013000] nsd: a', '[1124013001] nsd: b', '[2005-08-14 11:00:00] nsd: c'];
    expect(names('{^LN-BEG}Epoch\n{^LN-BEG}', lines)).toEqual(['2 {^LN-BEG}Epoch', `1 ${ISO}`]);
    // without the defaults it is an ordinary template (weight 1): the other one moves up on
    // outnumbering its hits
    const custom = ['1124013000 a', '14/08/2005 11:00:00 b', '14/08/2005 11:00:01 c', '1124013001 d', '14/08/2005 11:00:02 e'];
    expect(names('{^LN-BEG}Epoch\n{^LN-BEG}%d/%m/%Y %H:%M:%S', custom)).toEqual([
      '3 {^LN-BEG}Day/Month/Year 24hour:Minute:Second',
      '2 {^LN-BEG}Epoch',
    ]);
  });

  it('rejects bad patterns with the filter location', () => {
    expect(() => detector('%Y-%q')).toThrow(ConfigError);
    expect(() => detector('%Y-%q')).toThrow(/filter\.d\/x\.conf:7: Failed to set datepattern '%Y-%q'/);
    // fail2ban 1.0.2's words: Python's % operator on the pattern with known directives as %(X)s
    expect(() => detector('%Y-%q')).toThrow(
      "Failed to set datepattern '%Y-%q' (may be an invalid format or unescaped percent char): unsupported format character 'q' (0x71) at index 7",
    );
    expect(() => detector('%Q bad')).toThrow(
      "Failed to set datepattern '%Q bad' (may be an invalid format or unescaped percent char): unsupported format character 'Q' (0x51) at index 1",
    );
    expect(() => detector('%H:%')).toThrow(/\(may be an invalid format or unescaped percent char\): incomplete format$/);
    expect(() => detector('^%Y %H\n^%Y %H')).toThrow(/already a template/);
    expect(() => detector('50% %H:%M')).toThrow(ConfigError);
    expect(() => detector('%H(?(x)a|b)')).toThrow(ConfigError);
  });
});

describe('logtimezone', () => {
  it('applies to dates without an explicit zone', () => {
    expect(detector(null, NOW, 'UTC').match('Aug 14 10:00:00 x')!.time).toBe(NOW);
    expect(detector(null, NOW, 'UTC+0200').match('Aug 14 12:00:00 x')!.time).toBe(NOW);
    expect(detector(null, NOW, 'GMT-0100').match('Aug 14 09:00:00 x')!.time).toBe(NOW);
    expect(detector(null, NOW, 'CET').match('Aug 14 11:00:00 x')!.time).toBe(NOW);
    expect(detector(null, NOW, '-0400').match('2005-08-14 06:00:00 x')!.time).toBe(NOW);
    // an explicit zone in the line wins
    expect(detector(null, NOW, 'UTC').match('2005-08-14 12:00:00+02:00 x')!.time).toBe(NOW);
  });

  it('rejects unknown zones', () => {
    expect(() => detector(null, NOW, 'Europe/Zurich')).toThrow(/filter\.d\/x\.conf:7: Unknown or unsupported time zone/);
  });

  it('parseTimezone', () => {
    expect(parseTimezone('UTC')).toBe(0);
    expect(parseTimezone('Z')).toBe(0);
    expect(parseTimezone('GMT')).toBe(0);
    expect(parseTimezone('UTC+0200')).toBe(120);
    expect(parseTimezone('UTC+02:30')).toBe(150);
    expect(parseTimezone('GMT-0100')).toBe(-60);
    expect(parseTimezone('-0400')).toBe(-240);
    expect(parseTimezone('+05')).toBe(300);
    expect(parseTimezone('CEST')).toBe(120);
    expect(parseTimezone('PDT')).toBe(-420);
    expect(parseTimezone('  ')).toBeNull();
    expect(() => parseTimezone('utc')).toThrow(ConfigError);
    expect(() => parseTimezone('XYZQ')).toThrow(ConfigError);
  });
});

describe('template cache and hit counts', () => {
  it('counts winners and moves a template up once it outweighs the one before', () => {
    const dd = detector();
    const hits = (): [number, string][] => dd.templates.filter((t) => t.hits > 0).map((t) => [t.hits, t.name]);
    for (let i = 0; i < 3; i++) dd.match(`2005-08-14 11:00:0${i} host x`);
    for (let i = 0; i < 5; i++) dd.match(`Aug 14 11:00:0${i} host x`);
    // fail2ban moves a template only when it switches from another one: not yet
    expect(hits()).toEqual([
      [3, ISO],
      [5, SYSLOG],
    ]);
    dd.match('2005-08-14 11:00:09 host x');
    dd.match('Aug 14 11:00:09 host x');
    expect(hits()).toEqual([
      [6, SYSLOG],
      [4, ISO],
    ]);
  });

  it('keeps using the last template while lines keep the format', () => {
    const dd = detector();
    const a = dd.match('192.0.2.1 - - [14/Aug/2005:11:00:00 +0200] "GET /a"')!;
    const b = dd.match('192.0.2.22 - - [14/Aug/2005:11:00:01 +0200] "GET /b"')!;
    expect(b.template).toBe(a.template);
    expect(b.time).toBe(a.time + 1);
    expect(a.template.hits).toBe(2);
    // a different format after that is still found
    const c = dd.match('Aug 14 11:00:02 host x')!;
    expect(c.template.name).toBe(SYSLOG);
    expect(c.time).toBe(a.time + 2);
  });

  it('uses each sample of a mixed log correctly', () => {
    const dd = detector();
    const lines: [string, number][] = [
      ['Aug 14 11:00:00 host a', local(2005, 8, 14, 11, 0, 0)],
      ['2005-08-14 11:00:01 host b', local(2005, 8, 14, 11, 0, 1)],
      ['Aug 14 11:00:02 host c 2005-08-14 10:00:00', local(2005, 8, 14, 11, 0, 2)],
      ['   continuation without date', NaN],
      ['[1124013600] d', 1124013600],
      ['Aug 14 11:00:03 host e', local(2005, 8, 14, 11, 0, 3)],
    ];
    for (const [l, t] of lines) {
      const m = dd.match(l);
      if (Number.isNaN(t)) expect(m).toBeNull();
      else expect(m?.time).toBe(t);
    }
  });
});

describe('reusing the date of a line with the same start', () => {
  /** Everything the detector tells and keeps, after each line of `lines`. */
  function trace(lines: readonly string[], reuse: boolean, now = NOW): unknown[] {
    const dd = new DateDetector({ datepattern: null, clock: fixedClock(now), reuse });
    const out: unknown[] = lines.map((l): unknown => {
      const m = dd.match(l);
      return m && [m.time, m.start, m.end, m.template.name];
    });
    out.push(dd.templates.map((t): unknown => [t.name, t.hits]));
    return out;
  }

  it('gives what a fresh search gives, hit counts and template order included', () => {
    const stamp = fc.constantFrom('Aug 14 11:00:02', 'Sun Aug 14 11:00:02', 'Aug 14 11:00:0', 'Aug  4 11:00:59', '[Aug 14 11:00:02', '2005-08-14 11:00:02');
    // tails that change what the optional fraction and year parts take, near and far from the date
    const tail = fc.constantFrom('', ' host sshd[1]: x', '.123456 2005 x', '.1234567', '.5 2004 y', ' 2005', ' 2005x', ' 20', 'x', ' 2005 host', '.', '. 2005', ' host 2005-08-14 10:00:00 z', ' 10.0.0.1 sshd', ' 2005.', ' 1999 x', ': x', ']', '  2005', ' 2005 ');
    const line = fc.tuple(stamp, tail, fc.constantFrom('', ' padding to make the line long enough')).map(([a, b, c]) => a + b + c);
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 40 }), (lines) => {
        expect(trace(lines, true)).toEqual(trace(lines, false));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives what a fresh search gives while "now" moves across the cut-off of year inference', () => {
    // "Dec 31 23:59:59" reads as this year once now is within a day of it, else as last year
    const cut = local(2006, 12, 30, 23, 59, 59);
    const run = (reuse: boolean): unknown[] => {
      const clock = fixedClock(cut - 2);
      const dd = new DateDetector({ datepattern: null, clock, reuse });
      return Array.from({ length: 24 }, () => {
        clock.advance(0.25);
        return dd.match('Dec 31 23:59:59 host sshd[1]: Failed password for root from 192.0.2.1')?.time;
      });
    };
    const reused = run(true);
    expect(new Set(reused)).toEqual(new Set([local(2005, 12, 31, 23, 59, 59), local(2006, 12, 31, 23, 59, 59)]));
    expect(reused).toEqual(run(false));
  });

  it('reuses a date only while "now" stays the same (the year is inferred from it)', () => {
    let now = local(2006, 1, 1, 0, 30, 0);
    const dd = new DateDetector({ datepattern: null, clock: { now: () => now } });
    const line = 'Dec 31 23:59:59 host sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2';
    expect(dd.match(line)?.time).toBe(local(2005, 12, 31, 23, 59, 59));
    now = local(2006, 12, 31, 23, 59, 59) + 86400 * 2;
    expect(dd.match(line)?.time).toBe(local(2006, 12, 31, 23, 59, 59));
  });
});
