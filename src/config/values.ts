/** Typed option values (configparser's getboolean/getint), with errors naming the key. */
import { ConfigError } from '../core/errors.js';
import type { Where } from './types.js';

const TRUE = new Set(['1', 'yes', 'true', 'on']);
const FALSE = new Set(['0', 'no', 'false', 'off']);

export function parseBool(v: string, key: string, where?: Where): boolean {
  const t = v.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  throw new ConfigError(`bad boolean '${v}' for '${key}' (expected true/yes/on/1 or false/no/off/0)`, where);
}

export function parseIntOption(v: string, key: string, where?: Where): number {
  const t = v.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new ConfigError(`bad integer '${v}' for '${key}'`, where);
  return Number(t);
}

export function parseNumber(v: string, key: string, where?: Where): number {
  const t = v.trim();
  const n = t === '' ? NaN : Number(t);
  if (!Number.isFinite(n)) throw new ConfigError(`bad number '${v}' for '${key}'`, where);
  return n;
}
