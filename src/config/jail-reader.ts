import { resolve as resolvePath } from 'node:path';
/**
 * `jail.conf` (+ jail.d/ + jail.local + includes) → JailDef[], and the whole config
 * (server + jails) as FullConfig. Enabled jails get their filter and actions resolved; a bad
 * file or option in an enabled jail aborts the read with one error naming file:line.
 */
import { ConfigError, errorMessage } from '../core/errors.js';
import { readAction } from './action-reader.js';
import { ReadCache, readConfigSet, syntheticEntry, type ConfigSet } from './configset.js';
import { applyJailOverrides, FILTER_OPTS, readFilterFull, traceLines, type FilterRead, type Traced } from './filter-reader.js';
import { DEFAULT_SECTION } from './ini.js';
import { checkLogpaths } from './logpath-check.js';
import { getOption, type InterpolationContext } from './interpolate.js';
import { parseSpec, splitActions } from './params.js';
import { readServer } from './server-reader.js';
import { parseTime } from './timespec.js';
import type { ActionDef, FilterDef, FullConfig, IncrementDef, JailDef, LogPathDef, Where } from './types.js';
import { parseBool, parseIntOption, parseNumber } from './values.js';

export const FAIL2BAN_VERSION = '1.0.2';

/** Options the jail reader knows (fail2ban's JailReader._configOpts); passed to filters/actions as vars. */
export const JAIL_OPTS = [
  'enabled',
  'backend',
  'maxretry',
  'maxmatches',
  'findtime',
  'bantime',
  'bantime.increment',
  'bantime.factor',
  'bantime.formula',
  'bantime.multipliers',
  'bantime.maxtime',
  'bantime.rndtime',
  'bantime.overalljails',
  'ignorecommand',
  'ignoreself',
  'ignoreip',
  'ignorecache',
  'filter',
  'logtimezone',
  'logencoding',
  'logpath',
  'skip_if_nologs',
  'systemd_if_nologs',
  'action',
  ...FILTER_OPTS,
] as const;

/** fail2ban's backends (`auto` picks one); anything else is refused as 1.0.2's server does. */
export const BACKENDS: readonly string[] = ['auto', 'pyinotify', 'gamin', 'polling', 'systemd'];

export function unknownBackendText(name: string): string {
  return `Unknown backend ${name}. Must be among ['pyinotify', 'gamin', 'polling', 'systemd'] or 'auto'`;
}

/** Server-side defaults for options a config does not set. */
const JAIL_DEFAULTS = { maxretry: 3, findtime: 600, bantime: 600 } as const;

export interface ReadConfigOptions {
  /**
   * In-memory option overrides per jail name (raw values, `%(x)s` allowed), applied on top of
   * every file. Key `*` applies to every jail, e.g. `{ '*': { enabled: 'true' } }`.
   */
  jailOverrides?: Record<string, Record<string, string>>;
  /** Return only enabled jails. */
  onlyEnabled?: boolean;
  /** Resolve filters and actions of disabled jails too (config checks). */
  resolveAll?: boolean;
}

const OVERRIDE_WHERE: Where = { file: '<override>', line: 0 };

function isJailSection(name: string): boolean {
  return name !== 'INCLUDES' && name !== DEFAULT_SECTION && !name.startsWith('KNOWN/');
}

export function readConfig(basedirIn: string, opts: ReadConfigOptions = {}): FullConfig {
  // Relative config dirs (`-c config`) are taken from the current directory, once.
  const basedir = resolvePath(basedirIn);
  const server = readServer(basedir);
  const jails = readJails(basedir, opts);
  return { basedir, server, jails };
}

/** Read every jail section of `jail` (+ includes); see ReadConfigOptions. */
export function readJails(basedirIn: string, opts: ReadConfigOptions = {}): JailDef[] {
  const basedir = resolvePath(basedirIn);
  const cs = readConfigSet(basedir, 'jail');
  // Always-available defaults, as fail2ban injects them before interpolation.
  cs.defaults.entries.set('fail2ban_version', syntheticEntry(FAIL2BAN_VERSION, OVERRIDE_WHERE));
  cs.defaults.entries.set('fail2ban_confpath', syntheticEntry(basedir.replace(/%/g, '%%'), OVERRIDE_WHERE));
  const names = cs.sectionNames().filter(isJailSection);
  for (const jail of Object.keys(opts.jailOverrides ?? {})) {
    if (jail !== '*' && !names.includes(jail)) throw new ConfigError(`override for unknown jail '${jail}'`);
  }
  const jails: JailDef[] = [];
  const cache = new ReadCache();
  for (const name of names) {
    const sec = cs.section(name)!;
    for (const src of [opts.jailOverrides?.['*'], opts.jailOverrides?.[name]]) {
      for (const [k, v] of Object.entries(src ?? {})) sec.entries.set(k.toLowerCase(), syntheticEntry(v, OVERRIDE_WHERE));
    }
    const jail = readJail(cs, basedir, name, opts.resolveAll ?? false, cache);
    if (!opts.onlyEnabled || jail.enabled) jails.push(jail);
  }
  return jails;
}

function readJail(cs: ConfigSet, basedir: string, name: string, resolveAll: boolean, cache: ReadCache): JailDef {
  const ctx: InterpolationContext = { cs, section: name };
  const sec = cs.section(name)!;
  const whereOf = (k: string): Where => cs.lookup(name, k)?.where ?? sec.where;
  // Messages about a jail's filter/action point at the jail when the value comes from DEFAULT.
  const jailWhere = (k: string): Where => cs.own(name, k)?.where ?? sec.where;
  const get = (k: string): string | undefined => getOption(ctx, k);

  const enabledRaw = get('enabled') ?? 'false';
  const enabled = parseBool(enabledRaw, 'enabled', whereOf('enabled'));
  if (!enabled && !resolveAll) {
    // fail2ban ignores disabled jails entirely; a broken one must not stop the others.
    try {
      return buildJail(cs, basedir, name, ctx, enabled, false);
    } catch {
      return stubJail(name, sec.where);
    }
  }
  return buildJail(cs, basedir, name, ctx, enabled, true);

  function buildJail(cs: ConfigSet, basedir: string, name: string, ctx: InterpolationContext, enabled: boolean, resolve: boolean): JailDef {
    const backendRaw = get('backend') ?? 'auto';
    const filterRaw = get('filter') ?? '';
    let fr: FilterRead | null = null;
    if (resolve && filterRaw.trim() !== '') {
      fr = readFilterFull(basedir, filterRaw, {}, { enabled: enabledRaw, backend: backendRaw, filter: filterRaw }, { jail: name, where: jailWhere('filter'), cache });
      // The filter's options become visible to the jail as %(known/<option>)s.
      for (const [k, v] of Object.entries(fr.combined)) {
        if (k.startsWith('known/')) continue;
        cs.set(name, `known/${k}`, syntheticEntry(v.replace(/%/g, '%%'), { file: fr.def.file, line: 0 }));
      }
    }

    const jopts: Record<string, string> = {};
    for (const k of JAIL_OPTS) {
      const v = get(k);
      if (v !== undefined) jopts[k] = v;
    }

    let filter: FilterDef | null = null;
    if (fr) {
      const overrideLines: Partial<Record<string, Traced[]>> = {};
      for (const key of ['failregex', 'ignoreregex'] as const) {
        const entry = cs.lookup(name, key);
        if (jopts[key] === undefined || !entry) continue;
        const own = fr.traced[key];
        try {
          overrideLines[key] = traceLines(entry, key, ctx, cs.own(name, key) ? name : DEFAULT_SECTION, {
            special: (ref) => (ref === `known/${key}` ? own : undefined),
          }).filter((t) => t.text !== '');
        } catch {
          // origins are best effort; the value itself was read above
        }
      }
      filter = applyJailOverrides(fr, jopts, { jail: name, where: jailWhere('filter'), overrideLines });
    }

    // fail2ban's server fails on these ("invalid syntax"); an empty value is no default
    if (resolve)
      for (const k of ['bantime', 'findtime', 'maxretry', 'maxmatches'] as const)
        if (jopts[k]?.trim() === '')
          throw new ConfigError(`'${k}' has an empty value (set one, or remove the line for the default)`, whereOf(k));
    const backendSpec = parseSpec(backendRaw, whereOf('backend'));
    // only enabled jails: fail2ban never looks at a disabled jail's backend
    if (resolve && !BACKENDS.includes(backendSpec.name))
      throw new ConfigError(unknownBackendText(backendSpec.name), whereOf('backend'));
    const num = (k: string): string | undefined => {
      const v = jopts[k];
      return v === undefined || v.trim() === '' ? undefined : v;
    };
    const time = (k: string): number | null => {
      const v = num(k);
      return v === undefined ? null : parseTime(v, k, whereOf(k));
    };
    const bool = (k: string, dflt: boolean): boolean => {
      const v = num(k);
      return v === undefined ? dflt : parseBool(v, k, whereOf(k));
    };
    const maxretryRaw = num('maxretry');
    const maxretry = maxretryRaw === undefined ? JAIL_DEFAULTS.maxretry : parseIntOption(maxretryRaw, 'maxretry', whereOf('maxretry'));
    if (resolve && maxretry < 1)
      throw new ConfigError(`bad value '${maxretryRaw}' for 'maxretry' (expected an integer >= 1)`, whereOf('maxretry'));
    const maxmatchesRaw = num('maxmatches');
    const multipliers = num('bantime.multipliers');
    const increment: IncrementDef = {
      enabled: bool('bantime.increment', false),
      factor: num('bantime.factor') === undefined ? 1 : parseNumber(jopts['bantime.factor']!, 'bantime.factor', whereOf('bantime.factor')),
      formula: num('bantime.formula') ?? null,
      multipliers:
        multipliers === undefined
          ? []
          : multipliers
              .trim()
              .split(/\s+/)
              .map((m) => parseNumber(m, 'bantime.multipliers', whereOf('bantime.multipliers'))),
      maxtime: time('bantime.maxtime'),
      rndtime: time('bantime.rndtime'),
      overalljails: bool('bantime.overalljails', false),
    };

    const actions: ActionDef[] = [];
    if (resolve) {
      const seen = new Map<string, string>();
      for (const spec of splitActions(jopts.action ?? '')) {
        const a = readAction(basedir, spec, name, jopts, { where: jailWhere('action'), cache });
        const prev = seen.get(a.actname);
        if (prev !== undefined) {
          throw new ConfigError(
            `jail '${name}': two actions are both named '${a.actname}' ('${prev}' and '${spec}'); give one a different name= or actname=`,
            jailWhere('action'),
          );
        }
        seen.set(a.actname, spec);
        actions.push(a);
      }
    }

    const logpath = parseLogpath(jopts.logpath ?? '');
    if (resolve && backendSpec.name !== 'systemd') checkLogpaths(logpath, whereOf('logpath'));

    return {
      name,
      enabled,
      backend: backendSpec.name,
      backendOptions: backendSpec.params,
      filter,
      logpath,
      logencoding: num('logencoding')?.trim() ?? 'auto',
      logtimezone: num('logtimezone')?.trim() ?? null,
      maxretry,
      maxmatches: maxmatchesRaw === undefined ? maxretry : parseIntOption(maxmatchesRaw, 'maxmatches', whereOf('maxmatches')),
      findtime: time('findtime') ?? JAIL_DEFAULTS.findtime,
      bantime: time('bantime') ?? JAIL_DEFAULTS.bantime,
      increment,
      ignoreself: bool('ignoreself', true),
      ignoreip: (jopts.ignoreip ?? '').split(/[\s,]+/).filter((s) => s !== ''),
      ignorecommand: jopts.ignorecommand ?? '',
      usedns: num('usedns')?.trim() ?? 'warn',
      actions,
      // Disabled jails are never started: their DEFAULT-derived options are not worth resolving.
      options: resolve ? jailOptions(cs, name, ctx, jopts) : { ...jopts },
      where: sec.where,
    };
  }
}

/** Every option visible in the jail, interpolated. DEFAULT-only helpers that cannot be resolved
 * for this jail (e.g. an unused `action_blocklist_de` without an API key) are left out. */
function jailOptions(cs: ConfigSet, name: string, ctx: InterpolationContext, jopts: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of cs.keys(name)) {
    if (k.startsWith('known/')) continue;
    if (k in jopts) {
      out[k] = jopts[k]!;
      continue;
    }
    if (cs.own(name, k)) {
      out[k] = getOption(ctx, k)!;
      continue;
    }
    try {
      out[k] = getOption(ctx, k)!;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw new ConfigError(errorMessage(e));
    }
  }
  return out;
}

/** `logpath` lines: a glob each, optionally followed by ` head` (default) or ` tail`. */
export function parseLogpath(value: string): LogPathDef[] {
  const out: LogPathDef[] = [];
  for (const raw of value.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(.*\S)\s+(head|tail)$/.exec(line);
    out.push(m ? { pattern: m[1]!, position: m[2] as 'head' | 'tail' } : { pattern: line, position: 'head' });
  }
  return out;
}

/** A disabled jail with the server-side defaults and nothing configured (also `add <jail>`). */
export function stubJail(name: string, where: Where): JailDef {
  return {
    name,
    enabled: false,
    backend: 'auto',
    backendOptions: {},
    filter: null,
    logpath: [],
    logencoding: 'auto',
    logtimezone: null,
    maxretry: JAIL_DEFAULTS.maxretry,
    maxmatches: JAIL_DEFAULTS.maxretry,
    findtime: JAIL_DEFAULTS.findtime,
    bantime: JAIL_DEFAULTS.bantime,
    increment: { enabled: false, factor: 1, formula: null, multipliers: [], maxtime: null, rndtime: null, overalljails: false },
    ignoreself: true,
    ignoreip: [],
    ignorecommand: '',
    usedns: 'warn',
    actions: [],
    options: {},
    where,
  };
}
