import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { pyBool, pyInt, sec2str, str2sec, time2str } from './time-value.js';

process.env.TZ = 'UTC';

describe('str2sec (anatomy §1.7)', () => {
  it('converts plain numbers and unit expressions', () => {
    expect(str2sec('600', 'bantime')).toBe(600);
    expect(str2sec('-1', 'bantime')).toBe(-1);
    expect(str2sec('10m', 'bantime')).toBe(600);
    expect(str2sec('1d12h', 'bantime')).toBe(129600);
    expect(str2sec('1hour+30min', 'bantime')).toBe(5400);
    expect(str2sec('0d 1h 30m', 'bantime')).toBe(5400);
    expect(str2sec('1year-6mo', 'bantime')).toBe(15778800);
    expect(str2sec('6 months', 'bantime')).toBe(15778800);
    expect(str2sec('1w', 'bantime')).toBe(604800);
    expect(str2sec(42, 'bantime')).toBe(42);
  });

  it('matches fail2ban test expectations for mixed expressions', () => {
    expect(str2sec('1 year + 1 month - 1 week + 1 day', 'k')).toBe(33669000);
    expect(str2sec('2 * 0.5 yea + 1*1 mon - 3*1/3 wee + 2/2 day - (2*12 hou 3*20 min 80 sec) ', 'k')).toBe(33578920);
    expect(str2sec('2*.5y+1*1mo-3*1/3w+2/2d-(2*12h3*20m80s) ', 'k')).toBe(33578920);
    expect(str2sec('1ye -2mo -3we -4da -5ho -6mi -7se', 'k')).toBe(24119633);
    expect(str2sec('1 month', 'k') / 86400).toBe(30.4375);
    expect(str2sec('1 year', 'k') / 86400).toBe(365.25);
  });

  it('rejects garbage with the key in the message', () => {
    expect(() => str2sec('abc', 'findtime')).toThrow(ConfigError);
    expect(() => str2sec('10 parsecs', 'findtime')).toThrow(/findtime/);
    expect(() => str2sec('', 'findtime')).toThrow(/findtime/);
  });
});

describe('sec2str (fail2ban seconds2str)', () => {
  it('shows at most three rounded units', () => {
    const cases: [number, string][] = [
      [86400 * 390, '1y 3w 4d'],
      [86400 * 368, '1y 3d'],
      [86400 * 365.49, '1y'],
      [86400 * 15, '2w 1d'],
      [86400 * 14 - 10, '2w'],
      [86400 * 2 + 3600 * 7 + 60 * 15, '2d 7h 15m'],
      [86400 * 2 + 3599, '2d 1h'],
      [3600 * 3.52, '3h 31m'],
      [3600 * 2 - 5, '2h'],
      [3600 - 5, '1h'],
      [3600 - 10, '59m 50s'],
      [59, '59s'],
      [600, '10m'],
      [0, '0'],
    ];
    for (const [sec, s] of cases) expect(sec2str(sec), String(sec)).toBe(s);
  });
});

describe('value parsing', () => {
  it('reads Python ints and booleans', () => {
    expect(pyInt(' 5 ', 'maxretry')).toBe(5);
    expect(pyInt('-3', 'maxretry')).toBe(-3);
    expect(pyInt('1_000', 'maxretry')).toBe(1000);
    expect(() => pyInt('5.0', 'maxretry')).toThrow(/maxretry/);
    expect(() => pyInt('x', 'maxretry')).toThrow(ConfigError);
    expect(['true', 'Yes', 'ON', '1'].map(pyBool)).toEqual([true, true, true, true]);
    expect(['false', 'no', '0', 'anything'].map(pyBool)).toEqual([false, false, false, false]);
  });

  it('formats local time without fractions', () => {
    expect(time2str(1764051568.957)).toBe('2025-11-25 06:19:28');
    expect(time2str(0x7fffffff)).toBe('2038-01-19 03:14:07');
    // fail2ban's end of a permanent ban (0x7FFFFFFFFFFF) and anything from 9999 on
    expect(time2str(0x7fffffffffff)).toBe('9999-12-31 23:59:59');
    expect(time2str(253402214400)).toBe('9999-12-31 23:59:59');
    expect(time2str(Infinity)).toBe('9999-12-31 23:59:59');
  });
});
