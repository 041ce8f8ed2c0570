/**
 * The command stream fail2ban's client compiles a configuration into (anatomy §1.9), for
 * `fail2ban-client -d`: global options, then per enabled jail `add`, the filter's and the jail's
 * `set` commands, log paths and actions, then one `start` per jail. Values keep fail2ban's
 * types (ints and bools where its reader converts them) so the printed lines match byte for byte.
 */
import { ACTION_COMMANDS } from '../config/action-reader.js';
import { readConfigSet } from '../config/configset.js';
import { getOption } from '../config/interpolate.js';
import { notDefined } from '../config/reader-warnings.js';
import { JAIL_OPTS } from '../config/jail-reader.js';
import type { ActionDef, FullConfig, JailDef } from '../config/types.js';
import { pyRepr } from '../control/pyrepr.js';
import { pyBool, pyInt } from '../jail/time-value.js';
import { expandGlob } from '../sources/file/glob.js';
import { shellSplit } from '../sources/journal/shell-split.js';

export type StreamValue = string | number | boolean | null | StreamValue[] | { [k: string]: StreamValue };
export type Command = StreamValue[];

/** Filter options, in the order fail2ban's filter reader lists them. */
const FILTER_KEYS = [
  'usedns',
  'prefregex',
  'ignoreregex',
  'failregex',
  'maxlines',
  'datepattern',
  'journalmatch',
];
/**
 * fail2ban 1.0.2's jail options as its stream sends them: the reader's options up to `logpath`,
 * without `enabled` and `filter` (those become `add` and the filter lines); filter options follow.
 */
const JAIL_KEYS = JAIL_OPTS.slice(0, JAIL_OPTS.indexOf('logpath') + 1).filter((k) => k !== 'enabled' && k !== 'filter');
const INT_KEYS = new Set(['maxretry', 'maxmatches', 'maxlines']);
const BOOL_KEYS = new Set([
  'bantime.increment',
  'bantime.overalljails',
  'ignoreself',
  'actionstart_on_demand',
  'actionrepair_on_unban',
  'norestored',
]);

function typed(key: string, v: string): StreamValue {
  if (INT_KEYS.has(key)) return pyInt(v, key);
  if (BOOL_KEYS.has(key)) return pyBool(v);
  return v;
}

export interface StreamOptions {
  /** Client command-line overrides (`--loglevel`, `--logtarget`). */
  loglevel?: string | null;
  logtarget?: string | null;
  /** Receives the warnings fail2ban's client logs while converting, and its logger (under fail2ban.). */
  warn?: (msg: string, logger: 'configreader' | 'jailreader') => void;
}

/** fail2ban.conf options fail2ban's full read gives a default, in its order (logtarget: its reader's). */
const FULL_READ_DEFAULTS: [string, string][] = [
  ['loglevel', 'INFO'],
  ['logtarget', 'STDERR'],
  ['syslogsocket', 'auto'],
  ['allowipv6', 'auto'],
  ['dbfile', '/var/lib/fail2ban/fail2ban.sqlite3'],
  ['dbpurgeage', '1d'],
];

/** The global part, from fail2ban.conf (+ .d/, .local) as written (dbpurgeage stays `1d`). */
export function serverStream(basedir: string, o: StreamOptions = {}): Command[] {
  const cs = readConfigSet(basedir, 'fail2ban');
  const get = (k: string): string | undefined => getOption({ cs, section: 'Definition' }, k);
  const out: [number, ['set', string, StreamValue]][] = [];
  const stack = cs.hasSection('Thread') ? getOption({ cs, section: 'Thread' }, 'stacksize') : undefined;
  if (stack !== undefined) out.push([0, ['set', 'thread', { stacksize: pyInt(stack, 'stacksize') }]]);
  out.push([11, ['set', 'syslogsocket', get('syslogsocket') ?? 'auto']]);
  out.push([12, ['set', 'loglevel', o.loglevel ?? get('loglevel') ?? 'INFO']]);
  out.push([13, ['set', 'logtarget', o.logtarget ?? get('logtarget') ?? '/var/log/fail2ban.log']]);
  // fail2ban's reader names each option it takes a default for (the stream keeps the values above)
  for (const [k, dflt] of FULL_READ_DEFAULTS)
    if (get(k) === undefined) o.warn?.(notDefined(k, 'Definition', pyRepr(dflt)), 'configreader');
  out.push([14, ['set', 'allowipv6', get('allowipv6') ?? 'auto']]);
  out.push([50, ['set', 'dbfile', get('dbfile') ?? '/var/lib/fail2ban/fail2ban.sqlite3']]);
  const maxm = get('dbmaxmatches');
  if (maxm !== undefined) out.push([51, ['set', 'dbmaxmatches', pyInt(maxm, 'dbmaxmatches')]]);
  out.push([51, ['set', 'dbpurgeage', get('dbpurgeage') ?? '1d']]);
  // fail2ban sorts (order, command) pairs: equal orders fall back to the option names
  return out.sort((a, b) => a[0] - b[0] || (a[1][1] < b[1][1] ? -1 : 1)).map(([, c]) => c);
}

/** fail2ban's FilterReader._fillStream: usedns first, prefregex/maxlines early, the rest in order. */
function fillFilter(stream: Command[], entries: [string, string][], jail: string): void {
  let early = 0;
  for (const [opt, value] of entries) {
    if (opt === 'failregex' || opt === 'ignoreregex') {
      const list = value.split('\n').filter((r) => r !== '');
      if (list.length > 1) stream.push(['multi-set', jail, `add${opt}`, list]);
      else if (list.length === 1) stream.push(['set', jail, `add${opt}`, list[0]!]);
    } else if (opt === 'usedns' || opt === 'maxlines' || opt === 'prefregex') {
      stream.splice(opt === 'usedns' ? 0 : early, 0, ['set', jail, opt, typed(opt, value)]);
      early++;
    } else if (opt === 'datepattern') {
      stream.push(['set', jail, opt, value]);
    } else if (opt === 'journalmatch') {
      for (const m of value.split('\n'))
        if (m !== '') stream.push(['set', jail, 'addjournalmatch', ...shellSplit(m)]);
    }
  }
}

/** `addaction` and the action's properties: commands as substituted, parameters and [Init] as given. */
export function actionStream(jail: string, a: ActionDef): Command[] {
  const multi: [string, StreamValue][] = [];
  const commands = a.commands ?? {};
  for (const k of ACTION_COMMANDS) if (commands[k] !== undefined) multi.push([k, typed(k, commands[k])]);
  for (const k of a.initKeys ?? []) {
    if (ACTION_COMMANDS.has(k) || k.startsWith('known/')) continue;
    const cond = /^(.+)\?family=(.+)$/.exec(k);
    const v = cond ? a.conditional[cond[2]!]?.[cond[1]!] : a.options[k];
    if (v !== undefined) multi.push([k, v]);
  }
  const out: Command[] = [['set', jail, 'addaction', a.actname]];
  if (multi.length > 1) out.push(['multi-set', jail, 'action', a.actname, multi]);
  else if (multi.length === 1) out.push(['set', jail, 'action', a.actname, ...multi[0]!]);
  return out;
}

/**
 * A jail's filter and option `set` commands in stream order, without `add`, log paths and
 * actions (the server logs some of these settings as it takes them, in this order).
 */
export function settingsStream(def: JailDef): Command[] {
  const name = def.name;
  const opts = def.options;
  const has = (k: string): boolean => Object.hasOwn(opts, k);
  const stream: Command[] = [];
  // the filter's own options, then those the jail sets itself
  const f = def.filter;
  if (f)
    fillFilter(
      stream,
      FILTER_KEYS.filter((k) => !has(k) && Object.hasOwn(f.options, k)).map((k) => [k, f.options[k]!]),
      name,
    );
  fillFilter(
    stream,
    FILTER_KEYS.filter(has).map((k) => [k, opts[k]!]),
    name,
  );
  for (const key of JAIL_KEYS) {
    if (!has(key) || key === 'backend' || key === 'logpath') continue;
    const value = opts[key]!;
    if (key === 'ignoreip') {
      stream.push(['set', name, 'addignoreip', ...value.split(/[ ,\n]+/).filter((s) => s.trim() !== '')]);
    } else stream.push(['set', name, key, typed(key, value)]);
  }
  return stream;
}

/** One jail's commands (without its `start`). */
export async function jailStream(def: JailDef, o: StreamOptions = {}): Promise<Command[]> {
  const name = def.name;
  const opts = def.options;
  const stream = settingsStream(def);
  const backend = opts.backend ?? 'auto';
  const value = opts.logpath;
  if (value !== undefined && !backend.startsWith('systemd')) {
    let found = 0;
    for (const line of value.split('\n')) {
      const cut = line.lastIndexOf(' ');
      const [path, tail] = cut < 0 ? [line, 'head'] : [line.slice(0, cut), line.slice(cut + 1)];
      if (path === '') continue;
      const { files, dangling } = await expandGlob(path);
      for (const d of dangling) o.warn?.(`File ${d} is a dangling link, thus cannot be monitored`, 'jailreader');
      for (const file of files) stream.push(['set', name, 'addlogpath', file, tail]);
      found += files.length;
    }
    if (found === 0) o.warn?.(`Have not found any log file for ${name} jail`, 'jailreader');
  }
  for (const a of def.actions) stream.push(...actionStream(name, a));
  stream.unshift(['add', name, backend]);
  return stream;
}

/** The whole stream, as `fail2ban-client -d` prints it. */
export async function configStream(cfg: FullConfig, o: StreamOptions = {}): Promise<Command[]> {
  const jails = cfg.jails.filter((j) => j.enabled);
  const out = serverStream(cfg.basedir, o);
  // fail2ban's reader warns while reading every jail, before any jail's stream is made
  if (o.warn) for (const j of cfg.jails) jailReadWarnings(j, o.warn);
  for (const j of jails) out.push(...(await jailStream(j, o)));
  for (const j of jails) out.push(['start', j.name]);
  return out;
}

/**
 * What fail2ban's jail reader warns of for one jail section: the options it takes a default for
 * when reading whether the jail is enabled (every jail), and for an enabled jail a missing filter,
 * the options read again with all the others, and no action.
 */
function jailReadWarnings(j: JailDef, warn: NonNullable<StreamOptions['warn']>): void {
  const missing = (k: string, shown: string): void => {
    if (j.options[k] === undefined) warn(notDefined(k, j.name, shown), 'configreader');
  };
  missing('enabled', 'False');
  missing('backend', "'auto'");
  missing('filter', "''");
  if (!j.enabled) return;
  if (!j.options.filter) warn(`No filter set for jail ${j.name}`, 'jailreader');
  missing('backend', "'auto'");
  missing('filter', "''");
  missing('action', "''");
  if (j.actions.length === 0) warn(`No actions were defined for ${j.name}`, 'jailreader');
}

/** One line per command, in Python's repr (what fail2ban's client prints). */
export function formatStream(stream: readonly Command[]): string {
  return stream.map((c) => `${pyRepr(c)}\n`).join('');
}
