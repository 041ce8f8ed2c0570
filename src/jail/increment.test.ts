import { describe, expect, it } from 'vitest';
import type { IncrementDef } from '../config/types.js';
import { ConfigError } from '../core/errors.js';
import { BanTimeIncrement, INCREMENT_OPTIONS } from './increment.js';

const def = (over: Partial<IncrementDef> = {}): IncrementDef => ({
  enabled: true,
  factor: 1,
  formula: null,
  multipliers: [],
  maxtime: null,
  rndtime: null,
  overalljails: false,
  ...over,
});
const prev = (banCount: number, time = 0) => ({ banCount, time, bantime: 600 });

describe('BanTimeIncrement.bantime', () => {
  it('doubles per earlier ban with the default formula, count capped at 20', () => {
    const inc = new BanTimeIncrement(def());
    expect([1, 2, 3, 4, 20, 30].map((c) => inc.bantime(600, prev(c)).bantime)).toEqual([1200, 2400, 4800, 9600, 600 * 2 ** 20, 600 * 2 ** 20]);
  });

  it('leaves the base alone when off, permanent, zero or never banned', () => {
    expect(new BanTimeIncrement(def({ enabled: false })).bantime(600, prev(3)).bantime).toBe(600);
    const inc = new BanTimeIncrement(def());
    expect(inc.bantime(-1, prev(3)).bantime).toBe(-1);
    expect(inc.bantime(0, prev(3)).bantime).toBe(0);
    expect(inc.bantime(600, null).bantime).toBe(600);
    expect(inc.bantime(600, prev(0)).bantime).toBe(600);
  });

  it('applies factor, then maxtime, then rndtime', () => {
    expect(new BanTimeIncrement(def({ factor: 3 })).bantime(600, prev(1)).bantime).toBe(3600);
    expect(new BanTimeIncrement(def({ maxtime: 3000 })).bantime(600, prev(3)).bantime).toBe(3000);
    const rnd = new BanTimeIncrement(def({ maxtime: 3000, rndtime: 100 }), { random: () => 0.25 });
    expect(rnd.bantime(600, prev(3)).bantime).toBe(3025);
    expect(rnd.bantime(600, prev(1)).bantime).toBe(1225);
  });

  it('uses multipliers instead of the formula, reusing the last one', () => {
    const inc = new BanTimeIncrement(def({ multipliers: [1, 5, 30, 60], factor: 2 }));
    expect([1, 2, 3, 4, 9].map((c) => inc.bantime(100, prev(c)).bantime)).toEqual([1000, 6000, 12000, 12000, 12000]);
  });

  it('evaluates a custom formula but never goes below bantime', () => {
    const exp = new BanTimeIncrement(def({ formula: 'ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)' }));
    expect(exp.bantime(600, prev(1)).bantime).toBeCloseTo(600 * Math.E, 9);
    const low = new BanTimeIncrement(def({ formula: 'ban.Time / 10' }));
    expect(low.bantime(600, prev(2)).bantime).toBe(600);
    const lin = new BanTimeIncrement(def({ formula: 'ban.Time + ban.Count * 3600 if ban.Count < 3 else 86400' }));
    expect([1, 2, 3].map((c) => lin.bantime(600, prev(c)).bantime)).toEqual([4200, 7800, 86400]);
  });

  it('rejects a bad formula with the key and keeps the base on run-time errors', () => {
    expect(() => new BanTimeIncrement(def({ formula: 'ban.Time * os.system(1)' }))).toThrow(ConfigError);
    expect(() => new BanTimeIncrement(def({ formula: 'ban.Time *' }))).toThrow(/bantime\.formula/);
    const div = new BanTimeIncrement(def({ formula: 'ban.Time / (ban.Count - 1)' }));
    const r = div.bantime(600, prev(1));
    expect(r.bantime).toBe(600);
    expect(r.error).toMatch(/bantime\.formula: division by zero/);
  });
});

describe('BanTimeIncrement.failureRetry (known bad ids count more)', () => {
  it('counts 2^banCount/2 + 1 retries, capped at maxretry', () => {
    const inc = new BanTimeIncrement(def());
    expect([1, 2, 3, 4].map((c) => inc.failureRetry(prev(c, 100), 200, 50))).toEqual([2, 3, 5, 9]);
    expect(inc.failureRetry(prev(10, 100), 200, 5)).toBe(5);
    expect(inc.failureRetry(null, 200, 5)).toBe(1);
  });

  it('counts 1 for failures not newer than the last ban, or when off', () => {
    const inc = new BanTimeIncrement(def());
    expect(inc.failureRetry(prev(3, 200), 200, 5)).toBe(1);
    expect(new BanTimeIncrement(def({ enabled: false })).failureRetry(prev(3, 100), 200, 5)).toBe(1);
  });
});

describe('BanTimeIncrement.set/get', () => {
  it('shows None for options never set, as fail2ban 1.0.2 does (not the defaults in effect)', () => {
    const inc = new BanTimeIncrement(def({ enabled: false }));
    expect(INCREMENT_OPTIONS.map((o) => inc.get(o))).toEqual(INCREMENT_OPTIONS.map(() => null));
    inc.set('increment', '');
    expect(inc.get('increment')).toBe(false); // set to '': increment is False, the others None again
    inc.set('factor', '2');
    inc.set('factor', '');
    expect(inc.get('factor')).toBeNull();
  });

  it('shows options set in the config as fail2ban 1.0.2 does: booleans, seconds, text', () => {
    const d = def({ enabled: true, factor: 2, multipliers: [1, 2, 4], maxtime: 86400, rndtime: 600, overalljails: true });
    const given = { increment: 'true', factor: '2', multipliers: '1 2 4', maxtime: '1d', rndtime: '10m', overalljails: 'true' };
    const inc = new BanTimeIncrement(d, { given });
    expect(INCREMENT_OPTIONS.map((o) => [o, inc.get(o)])).toEqual([
      ['increment', true],
      ['factor', '2'],
      ['formula', null],
      ['multipliers', '1 2 4'],
      ['maxtime', 86400],
      ['rndtime', 600],
      ['overalljails', true],
    ]);
    // a reload replaces them all
    inc.replace(def({ enabled: false }), {});
    expect(inc.get('increment')).toBeNull();
    expect(inc.enabled).toBe(false);
    expect(() => { inc.replace(def({ formula: 'ban.Time *' }), { formula: 'ban.Time *' }); }).toThrow(/bantime\.formula/);
    expect(inc.definition.formula).toBeNull();
  });

  it('parses each option like fail2ban', () => {
    const inc = new BanTimeIncrement(def({ enabled: false }));
    inc.set('increment', 'true');
    expect(inc.get('increment')).toBe(true);
    inc.set('factor', '1 + 1');
    expect(inc.get('factor')).toBe('1 + 1');
    expect(inc.bantime(600, prev(1)).bantime).toBe(2400);
    inc.set('maxtime', '1h');
    expect(inc.get('maxtime')).toBe(3600);
    // a float stays one, as fail2ban 1.0.2 answers it
    inc.set('maxtime', '1.5h');
    expect(inc.get('maxtime')).toBe('5400.0');
    inc.set('rndtime', '1.5');
    expect(inc.get('rndtime')).toBe(1.5);
    inc.set('maxtime', '1h');
    inc.set('rndtime', '10m');
    expect(inc.get('rndtime')).toBe(600);
    inc.set('rndtime', '');
    expect(inc.get('rndtime')).toBeNull();
    inc.set('multipliers', '1 2 4');
    expect(inc.get('multipliers')).toBe('1 2 4');
    inc.set('overalljails', 'yes');
    expect(inc.overalljails).toBe(true);
    expect(inc.get('overalljails')).toBe('yes'); // fail2ban 1.0.2 keeps the text given by command
    inc.set('formula', 'ban.Time * 3');
    expect(inc.get('formula')).toBe('ban.Time * 3');
  });

  it('keeps the old definition when a new value is invalid', () => {
    const inc = new BanTimeIncrement(def());
    expect(() => { inc.set('formula', 'import os'); }).toThrow(/bantime\.formula/);
    expect(inc.get('formula')).toBeNull();
    expect(inc.bantime(600, prev(1)).bantime).toBe(1200);
    expect(() => { inc.set('multipliers', '1 x 2'); }).toThrow(/bantime\.multipliers/);
    expect(() => { inc.set('maxtime', 'soon'); }).toThrow(/bantime\.maxtime/);
    expect(() => { inc.set('factor', 'banFactor'); }).toThrow(/bantime\.factor/);
  });
});
