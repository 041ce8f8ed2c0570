import { parseTime } from '../config/timespec.js';
import { ConfigError } from '../core/errors.js';
import { pyRound } from './py-expr.js';

/** fail2ban's value parsing and time formatting used by jail options and log lines. */

/** `1d12h` → 129600, `-1` → -1, `1hour+30min` → 5400 (config's §1.7 parser); ConfigError naming `key`. */
export function str2sec(value: string | number, key: string): number {
  return typeof value === 'number' ? value : parseTime(value, key);
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

/** A boolean given by command: true/yes/on/1 or false/no/off/0 (any case); anything else is refused
 *  rather than read as false, as fail2ban does. */
export function strictBool(value: string, key: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'on', 'true', 'yes'].includes(v)) return true;
  if (['0', 'off', 'false', 'no'].includes(v)) return false;
  throw new ConfigError(`${key}: invalid boolean ${JSON.stringify(value)} (expected true/yes/on/1 or false/no/off/0)`);
}

/** fail2ban's boolean reading: true/yes/on/1 (any case) are true, anything else false. */
export function pyBool(value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  return ['1', 'on', 'true', 'yes'].includes(value.trim().toLowerCase());
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** fail2ban's time2str prints this instant and anything later as the end of year 9999. */
const LAST_SHOWN = 253402214400;

/** Local time `YYYY-mm-dd HH:MM:SS` (fractions truncated, like Python's strftime). */
export function time2str(t: number): string {
  if (!(t < LAST_SHOWN)) return '9999-12-31 23:59:59';
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
