/**
 * fail2ban's repr of a ticket's ActionInfo, as its "Failed to execute ban/unban …" error shows
 * it. The map computes a value when a command first uses its tag, and the repr lists only the
 * computed ones (in the map's own order), plus `fid` and `raw-ticket` always, uncomputed still
 * as the lambda that would compute them. `ip` and `family` are always computed (the family picks
 * the command). fail2ban shares one map between a jail's actions; here each action keeps its own.
 */
import { pyRepr } from '../../control/pyrepr.js';
import type { BanTicket } from '../../core/failure.js';
import { familyOf } from './ticket-info.js';
import { fieldOfTag } from './tags.js';

/** The keys of fail2ban 1.0.2's ActionInfo, in its order. */
const ORDER = [
  'ip',
  'family',
  'ip-rev',
  'ip-host',
  'fid',
  'failures',
  'time',
  'bantime',
  'bancount',
  'matches',
  'restored',
  'ipmatches',
  'ipjailmatches',
  'ipfailures',
  'ipjailfailures',
  'raw-ticket',
  'jail.banned',
  'jail.banned_total',
  'jail.found',
  'jail.found_total',
] as const;

/** Values Python holds as numbers (repr without quotes). */
const NUMERIC = new Set([
  'failures',
  'time',
  'bantime',
  'bancount',
  'restored',
  'ipfailures',
  'ipjailfailures',
  'jail.banned',
  'jail.banned_total',
  'jail.found',
  'jail.found_total',
]);

/** Shown for `fid` / `raw-ticket` while not computed; Python prints the lambda's address. */
const LAMBDA: Record<string, string> = {
  fid: '<function Actions.ActionInfo.<lambda> at 0x7f0000001000>',
  'raw-ticket': '<function Actions.ActionInfo.<lambda> at 0x7f0000002000>',
};

/**
 * `computed`: the tag values the ticket's commands have used so far (tag → substituted text).
 */
export function actionInfoRepr(t: BanTicket, computed: ReadonlyMap<string, string>): string {
  const parts: string[] = [];
  const value = (k: string, v: string): string =>
    NUMERIC.has(k) && /^-?\d+(?:\.\d+)?$/.test(v) ? v : pyRepr(v);
  for (const k of ORDER) {
    if (k === 'ip') parts.push(`'ip': ${pyRepr(t.ip ?? t.id)}`);
    else if (k === 'family') parts.push(`'family': ${pyRepr(familyOf(t))}`);
    else if (computed.has(k)) parts.push(`'${k}': ${value(k, computed.get(k)!)}`);
    else if (LAMBDA[k] !== undefined) parts.push(`'${k}': ${LAMBDA[k]}`);
  }
  // captured tags are stored apart from the keys above: they come last, None when not captured
  for (const tag of computed.keys()) {
    const field = fieldOfTag(tag);
    if (field === null) continue;
    const v = t.fields[field] ?? t.fields[field.replace(/-/g, '_')];
    parts.push(`${pyRepr(tag)}: ${v === undefined ? 'None' : pyRepr(v)}`);
  }
  return `ActionInfo({${parts.join(', ')}})`;
}
