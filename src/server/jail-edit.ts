/**
 * Live edits of a jail's definition by `set <jail> …` (fail2ban-client 1.0.2's vocabulary): each
 * edit yields a new JailDef; the runtime then builds the filter from it and swaps it in only
 * when that succeeds, so a bad regex leaves the running jail untouched.
 */
import { existsSync } from 'node:fs';
import type { ActionDef, FilterDef, JailDef, LogPathDef } from '../config/types.js';
import { badValue, invalidCommand, missingArgument, noSuchFile } from '../control/errors.js';
import { pyRepr } from '../control/pyrepr.js';
import { LogjailError, RegexTranslateError, errorMessage } from '../core/errors.js';
import { pyInt } from '../jail/time-value.js';
import { parseTime } from '../config/timespec.js';
import { ACTION_COMMANDS } from '../config/action-reader.js';
import { emptyFilter } from '../config/filter-reader.js';
import { canonicalIp } from '../core/ip.js';
import type { BanTicket } from '../core/failure.js';

/** Keys that change the filter (the engine is rebuilt for them). */
export const FILTER_EDITS: ReadonlySet<string> = new Set([
  'addfailregex',
  'delfailregex',
  'addignoreregex',
  'delignoreregex',
  'prefregex',
  'datepattern',
  'maxlines',
  'usedns',
  'logtimezone',
]);

/** What `get` shows after each filter edit. */
export const EDIT_VIEW: Readonly<Record<string, string>> = {
  addfailregex: 'failregex',
  delfailregex: 'failregex',
  addignoreregex: 'ignoreregex',
  delignoreregex: 'ignoreregex',
  prefregex: 'prefregex',
  datepattern: 'datepattern',
  maxlines: 'maxlines',
  usedns: 'usedns',
  logtimezone: 'logtimezone',
  addlogpath: 'logpath',
  dellogpath: 'logpath',
  logencoding: 'logencoding',
  addjournalmatch: 'journalmatch',
  deljournalmatch: 'journalmatch',
};

/** Regexes given by command have no file:line; errors then name only the regex. */
const BY_COMMAND = { file: '', line: 0 };
const USEDNS = new Set(['yes', 'warn', 'no', 'raw']);


/** Python's int() with its error text (what fail2ban replies to `maxlines abc`). */
export function commandInt(v: string): number {
  try {
    return pyInt(v, 'value');
  } catch {
    throw badValue(`invalid literal for int() with base 10: ${pyRepr(v)}`);
  }
}

/** fail2ban's `value = command[2]`: the first value; more are ignored, none is an IndexError. */
function oneArg(args: readonly string[]): string {
  if (args.length === 0) throw missingArgument();
  return args[0]!;
}

/** Python `del list[i]`: negative indexes count from the end; out of range changes nothing. */
function withoutIndex<T>(list: readonly T[], index: number): T[] | null {
  const i = index < 0 ? list.length + index : index;
  if (i < 0 || i >= list.length) return null;
  return list.filter((_, n) => n !== i);
}

export interface FilterEdit {
  def: JailDef;
  /** Set when the command was accepted with a correction (fail2ban logs these as errors). */
  warning?: string;
}

/** The jail definition after a filter edit (not yet compiled: the caller builds and swaps). */
export function editFilter(def: JailDef, key: string, args: readonly string[]): FilterEdit {
  const f: FilterDef = def.filter ?? emptyFilter(def.name);
  const next = (filter: Partial<FilterDef>, jail: Partial<JailDef> = {}): JailDef => ({
    ...def,
    ...jail,
    filter: { ...f, ...filter },
  });
  switch (key) {
    case 'addfailregex':
      return { def: next({ failregex: [...f.failregex, { regex: oneArg(args), where: BY_COMMAND }] }) };
    case 'addignoreregex':
      return { def: next({ ignoreregex: [...f.ignoreregex, { regex: oneArg(args), where: BY_COMMAND }] }) };
    case 'delfailregex':
    case 'delignoreregex': {
      const which = key === 'delfailregex' ? 'failregex' : 'ignoreregex';
      const index = commandInt(oneArg(args));
      const list = withoutIndex(f[which], index);
      if (list === null)
        return { def, warning: `Cannot remove regular expression. Index ${index} is not valid` };
      return { def: next({ [which]: list }) };
    }
    case 'prefregex': {
      const v = oneArg(args);
      return { def: next({ prefregex: v === '' ? null : v, optionWhere: { ...f.optionWhere, prefregex: BY_COMMAND } }) };
    }
    case 'datepattern': {
      const v = oneArg(args);
      return { def: next({ datepattern: v.trim() === '' ? null : v, optionWhere: { ...f.optionWhere, datepattern: BY_COMMAND } }) };
    }
    case 'maxlines': {
      const n = commandInt(oneArg(args));
      if (n < 1) throw badValue('maxlines must be integer greater than zero');
      return { def: next({ maxlines: n }) };
    }
    case 'usedns': {
      const raw = oneArg(args);
      const v = raw.toLowerCase();
      if (USEDNS.has(v)) return { def: next({}, { usedns: v }) };
      return {
        def: next({}, { usedns: 'no' }),
        warning: `Incorrect value ${pyRepr(raw)} specified for usedns. Using safe 'no'`,
      };
    }
    case 'logtimezone': {
      const v = oneArg(args).trim();
      return { def: next({}, { logtimezone: v === '' ? null : v }) };
    }
  }
  throw invalidCommand();
}

/** `addlogpath FILE [head|tail]`: the new logpath list, or null when FILE is already there. */
export function addLogpath(
  def: JailDef,
  current: readonly string[],
  args: readonly string[],
): LogPathDef[] | null {
  const [file, where = 'head', ...rest] = args;
  if (file === undefined) throw missingArgument();
  if (rest.length > 0) throw invalidCommand();
  const position = where.toLowerCase();
  if (position !== 'head' && position !== 'tail') throw badValue("File option must be 'head' or 'tail'");
  if (def.backend === 'systemd') throw badValue(`Jail '${def.name}' reads the journal: it has no log files`);
  if (!existsSync(file)) throw noSuchFile(file);
  if (current.includes(file) || def.logpath.some((p) => p.pattern === file)) return null;
  return [...def.logpath, { pattern: file, position }];
}

/**
 * `dellogpath FILE`: the logpath list without FILE, or null when it is not monitored. A file that
 * came from a glob is dropped by listing the glob's other files one by one (fail2ban's server
 * never sees globs: its client expands them).
 */
export function delLogpath(
  def: JailDef,
  current: readonly string[],
  args: readonly string[],
): LogPathDef[] | null {
  const file = oneArg(args);
  if (def.logpath.some((p) => p.pattern === file)) return def.logpath.filter((p) => p.pattern !== file);
  if (!current.includes(file)) return null;
  return current.filter((c) => c !== file).map((c) => ({ pattern: c, position: 'head' }));
}

/** `addjournalmatch`/`deljournalmatch`: one match group per call (`A + B` are alternatives). */
export function editJournalmatch(def: JailDef, key: string, args: readonly string[]): JailDef {
  const f = def.filter ?? emptyFilter(def.name);
  let list: string[];
  if (key === 'addjournalmatch') {
    if (args.length === 0) throw invalidCommand();
    list = [...f.journalmatch, args.join(' ')];
  } else if (args.length === 0) list = [];
  else {
    const m = args.join(' ');
    if (!f.journalmatch.includes(m)) throw badValue(`Match ${pyRepr(m)} not found`);
    list = f.journalmatch.filter((x) => x !== m);
  }
  return { ...def, filter: { ...f, journalmatch: list } };
}

/** An error from building a filter, as a command reply (without a file:line prefix for commands). */
export function commandError(e: unknown): Error {
  // a regex given by command that does not compile: fail2ban 1.0.2's words (it has no file:line)
  if (e instanceof RegexTranslateError && !e.file && e.fault?.kind === 'compile')
    return badValue(`Unable to compile regular expression '${e.fault.pattern}':\n${e.fault.reason}`);
  let msg = errorMessage(e);
  if (e instanceof LogjailError && e.file) {
    const prefix = `${e.file}${e.line ? `:${e.line}` : ''}: `;
    if (msg.startsWith(prefix)) msg = msg.slice(prefix.length);
  }
  return badValue(msg);
}

// ---- actions ---------------------------------------------------------------------------

/** `set <jail> addaction ACT`: an action with no commands yet (its properties come by `set … action`). */
export function newAction(name: string, args: readonly string[]): ActionDef {
  if (args.length > 0) {
    // fail2ban loads the file first; we have no Python actions at all
    if (!existsSync(args[0]!)) throw noSuchFile(args[0]!);
    throw badValue(`Python actions (${args[0]!}) are not supported`);
  }
  return { actname: name, file: name, options: {}, conditional: {}, initKeys: [], commands: {} };
}

const CONDITIONAL_RE = /^(.+)\?family=(inet[46])$/;

/**
 * `set <jail> action ACT PROP VALUE`: the new definition and the stored value (fail2ban stores
 * `timeout` and `bantime` as seconds).
 */
export function setActionProperty(
  def: ActionDef,
  prop: string,
  value: string,
): { def: ActionDef; value: string } {
  const v = prop === 'timeout' || prop === 'bantime' ? String(parseTime(value, prop)) : value;
  const cond = CONDITIONAL_RE.exec(prop);
  const next: ActionDef = {
    ...def,
    options: { ...def.options },
    conditional: { ...def.conditional },
    initKeys: [...(def.initKeys ?? [])],
    commands: { ...(def.commands ?? {}) },
  };
  if (cond) next.conditional[cond[2]!] = { ...(next.conditional[cond[2]!] ?? {}), [cond[1]!]: v };
  else next.options[prop] = v;
  if (ACTION_COMMANDS.has(prop)) next.commands![prop] = v;
  else if (!next.initKeys!.includes(prop)) next.initKeys!.push(prop);
  return { def: next, value: v };
}

/**
 * `get <jail> action ACT PROP` as fail2ban answers it: commands as its client sent them (tags
 * substituted at config level, runtime tags like `<ip>` left), other properties as given.
 */
export function actionProperty(def: ActionDef, prop: string): string {
  const cmd = def.commands?.[prop];
  if (cmd !== undefined) return cmd;
  const cond = CONDITIONAL_RE.exec(prop);
  const v = cond
    ? def.conditional[cond[2]!]?.[cond[1]!]
    : Object.hasOwn(def.options, prop)
      ? def.options[prop]
      : undefined;
  if (v !== undefined && !prop.startsWith('known/')) return v;
  if (ACTION_COMMANDS.has(prop)) return '';
  if (prop === 'timeout') return '60';
  throw badValue(`'CommandAction' object has no attribute ${pyRepr(prop)}`);
}

/**
 * Properties every command action lists in fail2ban 1.0.2 (what Python's dir() finds on its
 * CommandAction, internals such as `ESCAPE_CRE` and `banEpoch` included: the list is its output).
 */
const BASE_PROPERTIES = [
  'ESCAPE_CRE',
  'ESCAPE_VN_CRE',
  'actionban',
  'actioncheck',
  'actionflush',
  'actionreban',
  'actionreload',
  'actionrepair',
  'actionstart',
  'actionstop',
  'actionunban',
  'banEpoch',
  'timeout',
];

/** `get <jail> actionproperties ACT`: the properties fail2ban lists (sorted, as Python's dir()). */
export function actionProperties(def: ActionDef): string[] {
  const keys = new Set<string>(BASE_PROPERTIES);
  for (const k of def.initKeys ?? Object.keys(def.options))
    if (!k.startsWith('known/') && !k.includes('/')) keys.add(k);
  for (const k of Object.keys(def.commands ?? {})) keys.add(k);
  // a configured action is given its name; one added by `addaction` is not
  if (Object.hasOwn(def.options, 'actname')) keys.add('actname');
  return [...keys].sort();
}

/** What a command action can be asked to do by `set <jail> action ACT METHOD`. */
export const ACTION_METHODS = ['ban', 'flush', 'prolong', 'reban', 'reload', 'start', 'stop', 'unban'];

/** `get <jail> actionmethods ACT`: fail2ban 1.0.2's list, its helper methods included. */
export const LISTED_METHODS = [
  ...ACTION_METHODS,
  'clearAllParams',
  'consistencyCheck',
  'escapeTag',
  'executeCmd',
  'invalidateBanEpoch',
  'replaceDynamicTags',
  'replaceTag',
].sort();

/** Methods whose one keyword argument is fail2ban's `aInfo` (the data of a ban). */
const TICKET_METHODS = new Set(['ban', 'unban', 'prolong', 'reban']);

/** Python json's error for a text that does not even start with a value (else null: ours). */
function pyJsonError(text: string): string | null {
  const at = text.length - text.trimStart().length;
  const rest = text.slice(at);
  if (/^(?:[{["]|-?\d|true|false|null|NaN|-?Infinity)/.test(rest)) return null;
  const line = text.slice(0, at).split('\n').length;
  const col = at - (text.lastIndexOf('\n', at - 1) + 1) + 1;
  return `Expecting value: line ${line} column ${col} (char ${at})`;
}

function pyTypeName(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int' : 'float';
}

/**
 * `set <jail> action ACT METHOD [JSON]`: fail2ban calls the method with the JSON object as its
 * keyword arguments. Checks them as Python would (same messages) and, for the ban-type methods,
 * builds the ticket from `aInfo` (`ip` required; `failures`, `time`, `bantime`, `bancount`,
 * `matches` optional). Null for the methods without arguments (start, stop, flush, reload).
 */
export function methodCall(
  method: string,
  args: readonly string[],
  base: { jail: string; bantime: number; now: number },
): BanTicket | null {
  if (args.length > 1) throw invalidCommand();
  let kwargs: Record<string, unknown> = {};
  if (args[0] !== undefined) {
    let v: unknown;
    try {
      v = JSON.parse(args[0]);
    } catch (e) {
      throw badValue(pyJsonError(args[0]) ?? errorMessage(e));
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw badValue(
        `fail2ban.server.action.CommandAction.${method}() argument after ** must be a mapping, not ${pyTypeName(v)}`,
      );
    kwargs = v as Record<string, unknown>;
  }
  const takesInfo = TICKET_METHODS.has(method);
  const extra = Object.keys(kwargs).find((k) => !(takesInfo && k === 'aInfo'));
  if (extra !== undefined) throw badValue(`CommandAction.${method}() got an unexpected keyword argument '${extra}'`);
  if (!takesInfo) return null;
  const info = kwargs.aInfo;
  if (info === undefined) throw badValue(`CommandAction.${method}() missing 1 required positional argument: 'aInfo'`);
  const i = (typeof info === 'object' && info !== null ? info : {}) as Record<string, unknown>;
  if (typeof i.ip !== 'string' || i.ip === '') throw badValue(`aInfo needs an "ip" (got ${JSON.stringify(info)})`);
  const num = (k: string, dflt: number): number => (typeof i[k] === 'number' ? i[k] : dflt);
  const ip = canonicalIp(i.ip);
  return {
    jail: base.jail,
    id: ip ?? i.ip,
    ip,
    time: num('time', base.now),
    bantime: num('bantime', base.bantime),
    banCount: num('bancount', 0),
    failures: num('failures', 0),
    matches: Array.isArray(i.matches) ? i.matches.map(String) : [],
    fields: {},
    restored: false,
  };
}
