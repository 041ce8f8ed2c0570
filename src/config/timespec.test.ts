import { describe, expect, it } from 'vitest';
import { parseTime, str2sec, str2secText } from './timespec.js';
import { messageOf } from './tree.case.js';

describe('str2sec', () => {
  const table: [string, number][] = [
    ['600', 600],
    ['-1', -1],
    ['-10', -10],
    ['10m', 600],
    ['10min', 600],
    ['10 minutes', 600],
    ['1h', 3600],
    ['1H', 3600],
    ['2hours', 7200],
    ['1d', 86400],
    ['1d12h', 129600],
    ['1d 12h', 129600],
    ['1h+30min', 5400],
    ['1h 30m 15s', 5415],
    ['1w', 604800],
    ['2 weeks', 1209600],
    ['1mo', 2629800],
    ['1mon', 2629800],
    ['1month', 2629800],
    ['1y', 31557600],
    ['1year-6mo', 31557600 - 6 * 2629800],
    ['5s', 5],
    ['3600*24', 86400],
    ['(1h+1h)/2', 3600],
    ['1.5h', 5400],
  ];
  it.each(table)('%s → %d', (text, secs) => {
    expect(str2sec(text)).toBe(secs);
  });

  it('rejects garbage', () => {
    for (const bad of ['', 'abc', '10x', '1h;rm', '1 +', '__import__']) expect(() => str2sec(bad), bad).toThrow(/bad time value/);
  });

  it('parseTime names the key and location', () => {
    expect(messageOf(() => parseTime('10 parsecs', 'bantime', { file: '/etc/fail2ban/jail.local', line: 12 }))).toBe(
      "/etc/fail2ban/jail.local:12: bad time value '10 parsecs' for 'bantime' (expected seconds or e.g. 10m, 1h, 1d12h)",
    );
  });
});

describe('str2secText', () => {
  it('prints a float as Python does (fractions, divisions, months and years), an int as an int', () => {
    const cases: [string, string][] = [
      ['600', '600'],
      ['1h30m', '5400'],
      ['-1', '-1'],
      ['1w', '604800'],
      ['1.5m', '90.0'],
      ['.5m', '30.0'],
      ['1.0', '1.0'],
      ['1.5', '1.5'],
      ['2.5h', '9000.0'],
      ['10m/2', '300.0'],
      ['1/2', '0.5'],
      ['1mo', '2629800.0'],
      ['1y', '31557600.0'],
    ];
    for (const [text, want] of cases) expect([text, str2secText(text)]).toEqual([text, want]);
  });
});
