/**
 * fail2ban time abbreviations (`10m`, `1d12h`, `1h+30min`, `1year-6mo`, `-1`) → seconds.
 * Units become `*<seconds>`, adjacent numbers are added, and the resulting arithmetic is
 * evaluated by a small parser (never `eval`).
 */
import { ConfigError } from '../core/errors.js';
import type { Where } from './types.js';

const YEAR = ((365 * 3 + 366) * 24 * 60 * 60) / 4;
// Order matters only in that each pattern must not eat another's letters; all are word-bounded.
const UNITS: [RegExp, number][] = [
  [/(?<=[\d\s])(days?|da|dd?)\b/gi, 86400],
  [/(?<=[\d\s])(weeks?|wee?|ww?)\b/gi, 7 * 86400],
  [/(?<=[\d\s])(months?|mon?)\b/gi, YEAR / 12],
  [/(?<=[\d\s])(years?|yea?|yy?)\b/gi, YEAR],
  [/(?<=[\d\s])(seconds?|sec?|ss?)\b/gi, 1],
  [/(?<=[\d\s])(minutes?|min?|mm?)\b/gi, 60],
  [/(?<=[\d\s])(hours?|hou?|hh?)\b/gi, 3600],
];

class ExprParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): number {
    const v = this.sum();
    this.ws();
    if (this.i < this.s.length) throw new Error(`unexpected '${this.s.slice(this.i)}'`);
    return v;
  }

  private ws(): void {
    while (this.s.charAt(this.i) === ' ' || this.s.charAt(this.i) === '\t') this.i++;
  }

  private sum(): number {
    let v = this.product();
    for (;;) {
      this.ws();
      const c = this.s.charAt(this.i);
      if (c !== '+' && c !== '-') return v;
      this.i++;
      const r = this.product();
      v = c === '+' ? v + r : v - r;
    }
  }

  private product(): number {
    let v = this.unary();
    for (;;) {
      this.ws();
      const c = this.s.charAt(this.i);
      if (c !== '*' && c !== '/') return v;
      this.i++;
      const r = this.unary();
      v = c === '*' ? v * r : v / r;
    }
  }

  private unary(): number {
    this.ws();
    const c = this.s.charAt(this.i);
    if (c === '-' || c === '+') {
      this.i++;
      const v = this.unary();
      return c === '-' ? -v : v;
    }
    if (c === '(') {
      this.i++;
      const v = this.sum();
      this.ws();
      if (this.s.charAt(this.i) !== ')') throw new Error("missing ')'");
      this.i++;
      return v;
    }
    const m = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(this.s.slice(this.i));
    if (!m) throw new Error(this.i < this.s.length ? `unexpected '${this.s.slice(this.i)}'` : 'missing number');
    this.i += m[0].length;
    return Number(m[0]);
  }
}

/** Seconds for a fail2ban time expression; throws ConfigError on anything else. */
export function str2sec(text: string): number {
  let v = text.trim();
  if (/^[+-]?\d+$/.test(v)) return Number(v);
  // `1d12h` → `1d 12h`
  v = v.replace(/(?<=[a-z])(\d)/gi, ' $1');
  for (const [re, secs] of UNITS) v = v.replace(re, `*${secs}`);
  // Numbers separated only by blanks are summed: `1*86400 12*3600`.
  let prev;
  do {
    prev = v;
    v = v.replace(/(\d)\s+(\d)/g, '$1+$2');
  } while (v !== prev);
  let n: number;
  try {
    n = new ExprParser(v).parse();
  } catch (e) {
    throw new ConfigError(`bad time value '${text}': ${(e as Error).message}`);
  }
  if (!Number.isFinite(n)) throw new ConfigError(`bad time value '${text}': not a finite number`);
  return n;
}

/**
 * Whether fail2ban's str2seconds gives a Python float for `text` (it prints as `90.0`): a
 * fractional number, a division, or months and years (whose length in seconds is a float there).
 */
export function str2secIsFloat(text: string): boolean {
  const v = text.trim();
  if (/^[+-]?\d+$/.test(v)) return false;
  return /\d\.|\.\d|\//.test(v) || /(?<=[\d\s])(months?|mon?|years?|yea?|yy?)\b/i.test(v);
}

/** Seconds as Python prints them: a value that is a float in fail2ban (`1.5m`) shows `90.0`. */
export function secondsShown(n: number, isFloat: boolean): number | string {
  return isFloat && Number.isInteger(n) ? `${n}.0` : n;
}

/** str2sec as fail2ban-client prints it (`--str2sec`, `get JAIL findtime`): `90.0` for a float. */
export function str2secText(text: string): string {
  return String(secondsShown(str2sec(text), str2secIsFloat(text)));
}

/** str2sec for a config key: the error names the key and where it was written. */
export function parseTime(text: string, key: string, where?: Where): number {
  try {
    return str2sec(text);
  } catch {
    throw new ConfigError(`bad time value '${text}' for '${key}' (expected seconds or e.g. 10m, 1h, 1d12h)`, where);
  }
}
