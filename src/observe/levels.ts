import { UsageError } from '../core/errors.js';

/** fail2ban's logging levels: Python's plus NOTICE (25), MSG (18), TRACEDEBUG (7), HEAVYDEBUG (5). */
export const LOG_LEVELS: Readonly<Record<string, number>> = {
  CRITICAL: 50,
  FATAL: 50,
  ERROR: 40,
  WARNING: 30,
  WARN: 30,
  NOTICE: 25,
  INFO: 20,
  MSG: 18,
  DEBUG: 10,
  TRACEDEBUG: 7,
  HEAVYDEBUG: 5,
  NOTSET: 0,
};

export type LevelName =
  'CRITICAL' | 'ERROR' | 'WARNING' | 'NOTICE' | 'INFO' | 'MSG' | 'DEBUG' | 'TRACEDEBUG' | 'HEAVYDEBUG';

/** What a record shows in `%(levelname)s` (fail2ban names 7 and 5 TRACE/HEAVY, other numbers `#NN-Lev.`). */
const DISPLAY: Readonly<Record<number, string>> = {
  50: 'CRITICAL',
  40: 'ERROR',
  30: 'WARNING',
  25: 'NOTICE',
  20: 'INFO',
  18: 'MSG',
  10: 'DEBUG',
  7: 'TRACE',
  5: 'HEAVY',
  0: 'NOTSET',
};

export function levelName(level: number): string {
  const n = DISPLAY[level];
  if (n !== undefined) return n;
  if (level > 0 && level < 50) return `#${String(level).padStart(2, '0')}-Lev.`;
  return `Level ${level}`;
}

/** `loglevel` value (name, case-insensitive, or number) to its numeric level. */
export function parseLogLevel(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
  } else {
    const v = value.trim();
    if (/^\d+$/.test(v)) return Number(v);
    const n = LOG_LEVELS[v.toUpperCase()];
    if (n !== undefined) return n;
  }
  // fail2ban upper-cases the name before it looks it up, and names it so
  throw new UsageError(`Invalid log level '${String(value).toUpperCase()}'`);
}

/** Syslog severity (RFC 5424) for a level. */
export function syslogSeverity(level: number): number {
  if (level >= 50) return 2; // crit
  if (level >= 40) return 3; // err
  if (level >= 30) return 4; // warning
  if (level >= 25) return 5; // notice
  if (level >= 18) return 6; // info (MSG included)
  return 7; // debug and below
}
