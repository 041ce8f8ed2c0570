import { ConfigError } from '../core/errors.js';
import { compilePyExpr, pyRound } from './py-expr.js';

/**
 * fail2ban's value parsing and time formatting used by jail options and log lines.
 * NOTE: src/config/timespec.ts (owned by the config helper) did not exist when this was
 * written; `str2sec` here is the jail's own copy of the §1.7 rules. Switch to the shared one
 * once it lands if both agree.
 */

// unit words, applied only after a digit or whitespace and up to a word boundary (§1.7)
const UNITS: [RegExp, number][] = [
  [/(?<=[\d\s])(?:years?|yea?|yy?)\b/gi, 31557600],
  [/(?<=[\d\s])(?:months?|mon?)\b/gi, 2629800],
  [/(?<=[\d\s])(?:weeks?|wee?|ww?)\b/gi, 604800],
  [/(?<=[\d\s])(?:days?|da|dd?)\b/gi, 86400],
  [/(?<=[\d\s])(?:hours?|hou?|hh?)\b/gi, 3600],
  [/(?<=[\d\s])(?:minutes?|min?|mm?)\b/gi, 60],
  [/(?<=[\d\s])(?:seconds?|sec?|ss?)\b/gi, 1],
];

/** `1d12h` → 129600, `-1` → -1, `1hour+30min` → 5400; ConfigError naming `key` otherwise. */
export function str2sec(value: string | number, key: string): number {
  if (typeof value === 'number') return value;
  let s = value.replace(/(?<=[a-z])(\d)/gi, ' $1');
  for (const [re, sec] of UNITS) s = s.replace(re, `*${sec}`);
  s = s.replace(/(\d)\s+(\d)/g, '$1+$2');
  try {
    return compilePyExpr(s, [], key)();
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${key}: invalid time value ${JSON.stringify(value)}`);
    throw new ConfigError(`${key}: cannot evaluate time value ${JSON.stringify(value)}`);
  }
}

/** Python int(text): optional sign, digits (underscores between digits), surrounding blanks. */
export function pyInt(value: string | number, key: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return Math.trunc(value);
  } else if (/^\s*[+-]?\d+(?:_\d+)*\s*$/.test(value)) {
    return Number(value.replace(/_/g, ''));
  }
  throw new ConfigError(`${key}: invalid integer ${JSON.stringify(value)}`);
}

/** fail2ban's boolean reading: true/yes/on/1 (any case) are true, anything else false. */
export function pyBool(value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  return ['1', 'on', 'true', 'yes'].includes(value.trim().toLowerCase());
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Local time `YYYY-mm-dd HH:MM:SS` (fractions truncated, like Python's strftime). */
export function time2str(t: number): string {
  const d = new Date(Math.floor(t) * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * fail2ban's seconds2str: at most three whole units, rounded to the smallest shown unit
 * (`1y 3w 4d`, `2d 7h 15m`, `3h 31m`, `59m 50s`, `0`).
 */
export function sec2str(sec: number): string {
  let s = sec;
  const parts: string[] = [];
  if (s >= 31536000) {
    s = pyRound(s / 86400);
    parts.push(`${Math.floor(s / 365)}y`);
    s %= 365;
    if (s >= 7) {
      parts.push(`${Math.floor(s / 7)}w`);
      s %= 7;
    }
    if (s) parts.push(`${s}d`);
    return parts.join(' ');
  }
  if (s >= 604800) {
    s = pyRound(s / 3600);
    parts.push(`${Math.floor(s / 168)}w`);
    s %= 168;
    if (s >= 24) {
      parts.push(`${Math.floor(s / 24)}d`);
      s %= 24;
    }
    if (s) parts.push(`${s}h`);
    return parts.join(' ');
  }
  if (s >= 86400) {
    s = pyRound(s / 60);
    parts.push(`${Math.floor(s / 1440)}d`);
    s %= 1440;
    if (s >= 60) {
      parts.push(`${Math.floor(s / 60)}h`);
      s %= 60;
    }
    if (s) parts.push(`${s}m`);
    return parts.join(' ');
  }
  if (s >= 3595) {
    s = pyRound(s / 10);
    parts.push(`${Math.floor(s / 360)}h`);
    s %= 360;
    if (s >= 6) parts.push(`${Math.floor(s / 6)}m`);
    return parts.join(' ');
  }
  if (s >= 60) {
    parts.push(`${Math.floor(s / 60)}m`);
    s %= 60;
  }
  if (s) parts.push(`${s}s`);
  else if (!sec) parts.push('0');
  return parts.join(' ');
}
