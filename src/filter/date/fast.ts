/**
 * Hand-written parsers for the two line-start formats that dominate real logs (syslog
 * `Aug 14 11:59:59` and ISO `2005-08-14 11:59:59`). Each follows the choices the template
 * regex's backtracking would make first; whenever that first path fails somewhere the regex
 * could still recover, it answers UNSURE and the caller runs the real regex. So results are
 * identical to the regex, only cheaper.
 */
import type { DateFields } from './convert.js';
import { isWordChar } from './regex.js';

export const NO_MATCH = -2;
export const UNSURE = -1;

function digit(line: string, i: number): number {
  const c = line.charCodeAt(i);
  return c >= 48 && c <= 57 ? c - 48 : -1;
}

/** 0..2 leading non-word characters, greedy (fail2ban's `^(?:\W{0,2})?`). */
function linePrefix(line: string): number {
  let p = 0;
  while (p < 2 && p < line.length && !isWordChar(line.charCodeAt(p))) p++;
  return p;
}

/** "not between two word characters" after a date ending in a word character. */
function guardAfterWord(line: string, i: number): boolean {
  return i >= line.length || !isWordChar(line.charCodeAt(i));
}

function letters3(line: string, i: number): number {
  let key = 0;
  for (let k = 0; k < 3; k++) {
    const c = line.charCodeAt(i + k) | 32;
    if (c < 97 || c > 122) return -1;
    key = (key << 8) | c;
  }
  return key;
}

function key3(s: string): number {
  return (s.charCodeAt(0) << 16) | (s.charCodeAt(1) << 8) | s.charCodeAt(2);
}
const MONTH3 = new Map<number, number>(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [key3(m), i + 1]),
);
const WEEKDAY3 = new Set<number>(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map(key3));

/** `%d` (`[1-2]\d|[0 ]?[1-9]|3[0-1]`) followed by a char accepted by `next`; returns length, 0 = none. */
function dayAt(line: string, i: number, f: DateFields, next: (c: number) => boolean): number {
  const c0 = line.charCodeAt(i);
  const d1 = digit(line, i + 1);
  if ((c0 === 49 || c0 === 50) && d1 >= 0 && next(line.charCodeAt(i + 2))) {
    f.day = (c0 - 48) * 10 + d1;
    return 2;
  }
  if ((c0 === 48 || c0 === 32) && d1 >= 1 && next(line.charCodeAt(i + 2))) {
    f.day = d1;
    return 2;
  }
  if (c0 >= 49 && c0 <= 57 && next(line.charCodeAt(i + 1))) {
    f.day = c0 - 48;
    return 1;
  }
  if (c0 === 51 && (d1 === 0 || d1 === 1) && next(line.charCodeAt(i + 2))) {
    f.day = 30 + d1;
    return 2;
  }
  return 0;
}

/** `[0-<max2>]?\d` followed by ':'; returns [value, length] packed as value*4+length, -1 = none. */
function twoBeforeColon(line: string, i: number, maxFirst: number): number {
  const d0 = digit(line, i);
  if (d0 < 0) return -1;
  const d1 = digit(line, i + 1);
  if (d0 <= maxFirst && d1 >= 0 && line.charCodeAt(i + 2) === 58) return (d0 * 10 + d1) * 4 + 2;
  if (line.charCodeAt(i + 1) === 58) return d0 * 4 + 1;
  return -1;
}

const isSpace = (c: number): boolean => c === 32;
const isSpaceOrT = (c: number): boolean => c === 32 || c === 84;

export interface FastOut {
  dateStart: number;
  dateEnd: number;
}

/**
 * How many leading characters of `line` decided parseSyslog's answer `end` (-1: not cheaply
 * known): the date, then what its optional tails (`.%f`, ` %ExY`) and end guard looked at. A
 * fraction that was taken lies inside the date; one tried and dropped leaves a '.' at `end`. A
 * year is tried only after a space, and a non-digit right after that space ends the try. So a
 * line that starts with the same characters parses the same.
 */
export function syslogDecidedBy(line: string, end: number): number {
  const c = line.charCodeAt(end);
  if (end >= line.length || c === 46) return -1;
  if (c !== 32) return end + 1;
  const d = line.charCodeAt(end + 1);
  if (end + 2 <= line.length && !(d >= 48 && d <= 57)) return end + 2;
  // ` dddd` and the guard after it
  return end + 6 <= line.length ? end + 6 : -1;
}

/**
 * `{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?` (case-insensitive names).
 * Returns the date end, NO_MATCH or UNSURE.
 */
export function parseSyslog(line: string, decades: ReadonlySet<number>, f: DateFields, out: FastOut): number {
  const p = linePrefix(line);
  let q = p;
  let sawWeekday = false;
  if (WEEKDAY3.has(letters3(line, q)) && line.charCodeAt(q + 3) === 32) {
    q += 4;
    sawWeekday = true;
  }
  const mon = MONTH3.get(letters3(line, q));
  if (mon === undefined) return sawWeekday ? UNSURE : NO_MATCH;
  if (line.charCodeAt(q + 3) !== 32) return UNSURE;
  f.reset();
  f.month = mon;
  let i = q + 4;
  const dl = dayAt(line, i, f, isSpace);
  if (dl === 0) return UNSURE;
  i += dl + 1;
  if (line.charCodeAt(i) === 32) i++;
  const h = twoBeforeColon(line, i, 2);
  if (h < 0) return UNSURE;
  f.hour = h >> 2;
  i += (h & 3) + 1;
  const m = twoBeforeColon(line, i, 5);
  if (m < 0) return UNSURE;
  f.minute = m >> 2;
  i += (m & 3) + 1;
  const end = secondsAndTail(line, i, f, decades, false);
  if (end < 0) return UNSURE;
  out.dateStart = p;
  out.dateEnd = end;
  return end;
}

/**
 * `{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`.
 * Returns the date end, NO_MATCH or UNSURE.
 */
export function parseIso(line: string, decades: ReadonlySet<number>, f: DateFields, out: FastOut): number {
  const p = linePrefix(line);
  const y0 = digit(line, p);
  const y1 = digit(line, p + 1);
  const y2 = digit(line, p + 2);
  const y3 = digit(line, p + 3);
  if (y0 < 0 || y1 < 0 || y2 < 0 || y3 < 0) return NO_MATCH;
  const dec = y0 * 100 + y1 * 10 + y2;
  const sep = line.charCodeAt(p + 4);
  if (!decades.has(dec) || (sep !== 45 && sep !== 47 && sep !== 46)) return NO_MATCH;
  f.reset();
  f.year = dec * 10 + y3;
  let i = p + 5;
  // %m = 0?[1-9]|1[0-2], followed by the same separator
  const m0 = line.charCodeAt(i);
  const m1 = digit(line, i + 1);
  if (m0 === 48 && m1 >= 1 && line.charCodeAt(i + 2) === sep) {
    f.month = m1;
    i += 3;
  } else if (m0 >= 49 && m0 <= 57 && line.charCodeAt(i + 1) === sep) {
    f.month = m0 - 48;
    i += 2;
  } else if (m0 === 49 && m1 >= 0 && m1 <= 2 && line.charCodeAt(i + 2) === sep) {
    f.month = 10 + m1;
    i += 3;
  } else return UNSURE;
  const dl = dayAt(line, i, f, isSpaceOrT);
  if (dl === 0) return UNSURE;
  i += dl;
  if (line.charCodeAt(i) === 84) i++;
  else {
    i++;
    if (line.charCodeAt(i) === 32) i++;
  }
  // %H = [0-1]?\d|2[0-3]
  let h = twoBeforeColon(line, i, 1);
  if (h < 0 && line.charCodeAt(i) === 50) {
    const d1 = digit(line, i + 1);
    if (d1 >= 0 && d1 <= 3 && line.charCodeAt(i + 2) === 58) h = (20 + d1) * 4 + 2;
  }
  if (h < 0) return UNSURE;
  f.hour = h >> 2;
  i += (h & 3) + 1;
  const m = twoBeforeColon(line, i, 5);
  if (m < 0) return UNSURE;
  f.minute = m >> 2;
  i += (m & 3) + 1;
  const end = secondsAndTail(line, i, f, decades, true);
  if (end < 0) return UNSURE;
  out.dateStart = p;
  out.dateEnd = end;
  return end;
}

/**
 * `%S` then the optional tail: syslog `(?:\.%f)?(?: %ExY)?`, ISO `(?:[.,]%f)?(?:\s*%z)?`,
 * then the end guard. Tries the alternatives in the regex's order; -1 = none fits.
 */
function secondsAndTail(line: string, i: number, f: DateFields, decades: ReadonlySet<number>, iso: boolean): number {
  const d0 = digit(line, i);
  const d1 = digit(line, i + 1);
  // %S = [0-5]?\d|6[0-1]
  if (d0 >= 0 && d0 <= 5 && d1 >= 0) {
    const e = fractionAndTail(line, i + 2, f, decades, iso);
    if (e >= 0) {
      f.second = d0 * 10 + d1;
      return e;
    }
  }
  if (d0 >= 0) {
    const e = fractionAndTail(line, i + 1, f, decades, iso);
    if (e >= 0) {
      f.second = d0;
      return e;
    }
  }
  if (d0 === 6 && (d1 === 0 || d1 === 1)) {
    const e = fractionAndTail(line, i + 2, f, decades, iso);
    if (e >= 0) {
      f.second = 60 + d1;
      return e;
    }
  }
  return -1;
}

function fractionAndTail(line: string, i: number, f: DateFields, decades: ReadonlySet<number>, iso: boolean): number {
  const c = line.charCodeAt(i);
  if (c === 46 || (iso && c === 44)) {
    let n = 0;
    while (n < 6 && digit(line, i + 1 + n) >= 0) n++;
    for (let k = n; k >= 1; k--) {
      const e = iso ? zoneTail(line, i + 1 + k, f) : yearTail(line, i + 1 + k, f, decades);
      if (e >= 0) return e;
    }
  }
  return iso ? zoneTail(line, i, f) : yearTail(line, i, f, decades);
}

function yearTail(line: string, i: number, f: DateFields, decades: ReadonlySet<number>): number {
  if (line.charCodeAt(i) === 32) {
    const y0 = digit(line, i + 1);
    const y1 = digit(line, i + 2);
    const y2 = digit(line, i + 3);
    const y3 = digit(line, i + 4);
    if (y0 >= 0 && y1 >= 0 && y2 >= 0 && y3 >= 0 && decades.has(y0 * 100 + y1 * 10 + y2) && guardAfterWord(line, i + 5)) {
      f.year = (y0 * 100 + y1 * 10 + y2) * 10 + y3;
      return i + 5;
    }
  }
  if (guardAfterWord(line, i)) {
    f.year = -1;
    return i;
  }
  return -1;
}

/** `(?:\s*(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?` then the guard. */
function zoneTail(line: string, i: number, f: DateFields): number {
  let j = i;
  for (;;) {
    const c = line.charCodeAt(j);
    if (c === 32 || (c >= 9 && c <= 13)) j++;
    else break;
  }
  const c = line.charCodeAt(j);
  if (c === 90 && guardAfterWord(line, j + 1)) {
    f.tz = 0;
    return j + 1;
  }
  if ((line.startsWith('UTC', j) || line.startsWith('GMT', j)) && guardAfterWord(line, j + 3)) {
    f.tz = 0;
    return j + 3;
  }
  if (c === 43 || c === 45) {
    const h0 = digit(line, j + 1);
    const h1 = digit(line, j + 2);
    if ((h0 === 0 || h0 === 1) && h1 >= 0) {
      const sign = c === 45 ? -1 : 1;
      const hh = h0 * 10 + h1;
      let k = j + 3;
      if (line.charCodeAt(k) === 58) k++;
      const m0 = digit(line, k);
      const m1 = digit(line, k + 1);
      if (m0 >= 0 && m1 >= 0 && guardAfterWord(line, k + 2)) {
        f.tz = sign * (hh * 60 + m0 * 10 + m1);
        return k + 2;
      }
      if (guardAfterWord(line, j + 3)) {
        f.tz = sign * hh * 60;
        return j + 3;
      }
    }
  }
  if (guardAfterWord(line, i)) {
    f.tz = null;
    return i;
  }
  return -1;
}
