/**
 * fail2ban's setters log some jail settings as the server takes them (at start, at reload and on
 * `set <jail> …`), indented and without the jail's name:
 *   fail2ban.filter         [pid]: INFO      maxRetry: 5
 * Only settings the configuration gives are announced, in its command-stream order.
 */
import { settingsStream, type StreamValue } from '../control/config-stream.js';
import { parseSpec } from '../config/params.js';
import type { JailDef } from '../config/types.js';
import { pyRepr } from '../control/pyrepr.js';
import type { Filter } from '../filter/filter.js';
import type { Jail } from '../jail/jail.js';

export interface SettingLine {
  /** Logger name under fail2ban. */
  logger: 'filter' | 'actions' | 'datedetector' | 'jail';
  msg: string;
  /** INFO when absent. */
  level?: 'WARNING';
}

/** What fail2ban calls each backend in "Jail 'x' uses …"; `auto` (pyinotify available, as on Debian) picks pyinotify. */
const BACKEND_WORD: Readonly<Record<string, string>> = {
  polling: 'poller',
  pyinotify: 'pyinotify',
  gamin: 'Gamin',
  systemd: 'systemd',
};

/** A new jail's backend, as fail2ban's `add` logs it: `Jail 'x' uses poller {}`, `Initiated 'polling' backend`. */
function backendLines(def: JailDef): SettingLine[] {
  const spec = parseSpec(def.options.backend ?? 'auto');
  const kind = spec.name === 'auto' ? 'pyinotify' : spec.name;
  const params = Object.entries(spec.params)
    .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
    .join(', ');
  return [
    { logger: 'jail', msg: `Jail '${def.name}' uses ${BACKEND_WORD[kind] ?? kind} {${params}}` },
    { logger: 'jail', msg: `Initiated '${kind}' backend` },
  ];
}

/** fail2ban's encoding for `auto`: the locale's preferred one, which we take to be UTF-8. */
export function encodingShown(enc: string): string {
  return enc.toLowerCase() === 'auto' ? 'UTF-8' : enc;
}

/** fail2ban's jail logs every `bantime.<opt>` it is given, the value as sent ('' is None). */
export function bantimeSetLine(opt: string, value: string): string {
  return `Set banTime.${opt} = ${value === '' ? 'None' : value}`;
}

/**
 * The lines one setting logs; `key` as in `set <jail> <key>`. Values are the jail's as taken,
 * except `bantime.*`, logged as sent (`sent`, typed as in the command stream).
 */
export function settingLines(
  key: string,
  jail: Jail,
  filter: Filter | null,
  def: JailDef,
  sent?: StreamValue,
): SettingLine[] {
  if (key.startsWith('bantime.')) {
    // the stream sends strings, or a bool for bantime.increment/overalljails (Python's str())
    const text = typeof sent === 'boolean' ? (sent ? 'True' : 'False') : typeof sent === 'string' ? sent : '';
    return [{ logger: 'jail', msg: bantimeSetLine(key.slice(8), text) }];
  }
  switch (key) {
    case 'maxlines':
      return filter ? [{ logger: 'filter', msg: `  maxLines: ${filter.maxlines}` }] : [];
    case 'datepattern':
      return (filter?.dateDetector.announced ?? []).map(([pattern, name]) => ({
        logger: 'datedetector',
        msg: `  date pattern \`${pyRepr(pattern)}\`: \`${name}\``,
      }));
    case 'maxretry':
      return [{ logger: 'filter', msg: `  maxRetry: ${String(jail.getOption('maxretry'))}` }];
    case 'findtime':
      return [{ logger: 'filter', msg: `  findtime: ${String(jail.findtimeShown())}` }];
    case 'bantime':
      return [{ logger: 'actions', msg: `  banTime: ${String(jail.getOption('bantime'))}` }];
    case 'logencoding':
      return [{ logger: 'filter', msg: `  encoding: ${encodingShown(def.logencoding)}` }];
  }
  return [];
}

/**
 * Everything a configured jail announces, in the order its `set` commands come. `created`: the
 * jail is new (fail2ban's `add`), which first names its backend, and warns when increment is on
 * without a database.
 */
export function configuredSettingLines(
  def: JailDef,
  jail: Jail,
  filter: Filter | null,
  created?: { hasDatabase: boolean },
): SettingLine[] {
  const out: SettingLine[] = created ? backendLines(def) : [];
  for (const cmd of settingsStream(def)) {
    if (cmd[0] !== 'set' || typeof cmd[2] !== 'string') continue;
    out.push(...settingLines(cmd[2], jail, filter, def, cmd[3]));
    if (created && !created.hasDatabase && cmd[2] === 'bantime.increment' && cmd[3] === true)
      out.push({ logger: 'jail', level: 'WARNING', msg: 'ban time increment is not available as long jail database is not set' });
  }
  return out;
}
