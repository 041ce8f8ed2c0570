import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { compilePyExpr, PyEvalError, pyRound } from './py-expr.js';
import { DEFAULT_FORMULA } from './increment.js';

const ev = (src: string, env: Record<string, number> = {}): number => compilePyExpr(src, Object.keys(env), 'test.key')(env);

describe('pyRound (Python 3 round)', () => {
  it('rounds halves to even', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5].map(pyRound)).toEqual([0, 2, 2, 4, 0, -2, -2]);
    expect([2.4999, 2.5001, 7, -3.2].map(pyRound)).toEqual([2, 3, 7, -3]);
  });
});

describe('compilePyExpr', () => {
  it('follows Python precedence and associativity', () => {
    expect(ev('1 + 2 * 3')).toBe(7);
    expect(ev('-2**2')).toBe(-4);
    expect(ev('2**-1')).toBe(0.5);
    expect(ev('2**3**2')).toBe(512);
    expect(ev('(1 + 2) * 3')).toBe(9);
    expect(ev('1 << 2 + 1')).toBe(8);
    expect(ev('6 & 3 | 8 ^ 1')).toBe(11);
    expect(ev('~5')).toBe(-6);
  });

  it('keeps Python division, floor division and modulo semantics', () => {
    expect(ev('3 / 2')).toBe(1.5);
    expect(ev('7 // 2')).toBe(3);
    expect(ev('7 // -2')).toBe(-4);
    expect(ev('-7 % 3')).toBe(2);
    expect(ev('7 % -3')).toBe(-2);
    expect(ev('7.5 // 2')).toBe(3);
  });

  it('shifts beyond 32 bits like Python ints', () => {
    expect(ev('1 << 40')).toBe(2 ** 40);
    expect(ev('600 * (1 << 20)')).toBe(600 * 2 ** 20);
    expect(ev('(1 << 40) >> 38')).toBe(4);
  });

  it('evaluates conditionals, chained comparisons and boolean operators', () => {
    expect(ev('5 if 1 < 2 else 6')).toBe(5);
    expect(ev('5 if 1 > 2 else 6')).toBe(6);
    expect(ev('1 < 2 < 3')).toBe(1);
    expect(ev('1 < 3 < 2')).toBe(0);
    expect(ev('0 or 7')).toBe(7);
    expect(ev('3 and 0')).toBe(0);
    expect(ev('not 0')).toBe(1);
    expect(ev('(2 > 1) * 100')).toBe(100);
    expect(ev('True + True')).toBe(2);
  });

  it('knows the builtins and math functions used in fail2ban examples', () => {
    expect(ev('min(3, 1, 2) + max(4, 9)')).toBe(10);
    expect(ev('int(7.9) + int(-7.9)')).toBe(0);
    expect(ev('round(2.5) + round(3.5)')).toBe(6);
    expect(ev('round(2.675, 1)')).toBeCloseTo(2.7, 10);
    expect(ev('abs(-3) + pow(2, 10)')).toBe(1027);
    expect(ev('math.exp(0) + math.log(math.e) + math.log(8, 2) + math.sqrt(16)')).toBeCloseTo(9, 12);
    expect(ev('math.floor(2.7) + math.ceil(2.1)')).toBe(5);
    expect(ev('float(3) / 2')).toBe(1.5);
  });

  it('evaluates the default bantime formula and the jail.conf exp example', () => {
    const env = (count: number) => ({ 'ban.Time': 600, 'ban.Count': count, banFactor: 1 });
    const f = compilePyExpr(DEFAULT_FORMULA, ['ban.Time', 'ban.Count', 'banFactor'], 'bantime.formula');
    expect([1, 2, 3, 20, 25].map((c) => f(env(c)))).toEqual([1200, 2400, 4800, 600 * 2 ** 20, 600 * 2 ** 20]);
    const g = compilePyExpr(
      'ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)',
      ['ban.Time', 'ban.Count', 'banFactor'],
      'bantime.formula',
    );
    expect(g(env(1))).toBeCloseTo(600 * Math.E, 9);
    expect(g(env(2))).toBeCloseTo(600 * Math.E ** 2, 6);
  });

  it('rejects unknown names, functions and bad syntax at compile time with the key', () => {
    for (const bad of ['ban.Tim * 2', '__import__("os")', 'open(1)', '1 +', '(1', '1 2', 'ban.Time;1', 'x.y.z', 'lambda: 1', '0755']) {
      expect(() => compilePyExpr(bad, ['ban.Time'], 'bantime.formula'), bad).toThrow(ConfigError);
    }
    expect(() => compilePyExpr('foo', [], 'bantime.formula')).toThrow(/bantime\.formula.*unknown name 'foo'/);
    expect(() => compilePyExpr('max(1)', [], 'k')).toThrow(/wrong number of arguments/);
  });

  it('raises PyEvalError for runtime errors', () => {
    expect(() => ev('1 / 0')).toThrow(PyEvalError);
    expect(() => ev('1 // 0')).toThrow(PyEvalError);
    expect(() => ev('1.5 << 2')).toThrow(PyEvalError);
    expect(() => ev('1 << -1')).toThrow(PyEvalError);
    expect(() => ev('math.log(0)')).toThrow(PyEvalError);
    expect(() => ev('math.exp(10000)')).toThrow(PyEvalError);
  });
});
