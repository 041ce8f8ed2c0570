/**
 * What filter and action files share: a `[Definition]` section, an optional `[Init]` section and
 * parameters passed from the jail. Parameters override [Init], which overrides [Definition];
 * parameters are also visible to `%(x)s` in [Definition]. `known/<opt>` holds the file's own
 * [Init] value (for `<known/chain>`).
 */
import { errorMessage, ConfigError } from '../core/errors.js';
import type { ConfigSet } from './configset.js';
import { DEFAULT_SECTION } from './ini.js';
import { getOption, getOwnFirst, interpolateEntry, type InterpolationContext } from './interpolate.js';
import type { Where } from './types.js';

export const CONDITIONAL_KEY_RE = /^(\w[^?]*)\?(.+)$/;

export interface DefinitionRead {
  cs: ConfigSet;
  /** The main file, for messages. */
  file: string;
  /** [Definition] (+ DEFAULT) + [Init] + params: interpolated, tags not yet substituted. */
  combined: Record<string, string>;
  /** Parameters as given (lower-case keys). */
  params: Record<string, string>;
  /** fail2ban's getCombOption: any option by name, incl. `section/option` and `known/option`. */
  lookup: (name: string) => string | undefined;
  /** Where an option of the set was written. */
  where: (key: string) => Where | undefined;
  /** Interpolation context of [Definition] with the parameter vars. */
  ctx: InterpolationContext;
  /** Parameters, then own [Init] keys, in order (no `known/…`): fail2ban's init options. */
  initKeys: string[];
}

/** Base option names that have conditional variants (`blocktype` for `blocktype?family=inet6`). */
export function conditionalBases(opts: Readonly<Record<string, string>>): Set<string> {
  const out = new Set<string>();
  for (const k of Object.keys(opts)) {
    const m = CONDITIONAL_KEY_RE.exec(k);
    if (m) out.add(m[1]!);
  }
  return out;
}

const SECTION_OPT_RE = /^([\w-]+)\/(.+)$/s;

export function readDefinition(
  cs: ConfigSet,
  file: string,
  params: Record<string, string>,
  vars: Record<string, string>,
  /** [Definition] keys that must interpolate; others are skipped when they fail (read lazily, as fail2ban does for actions). */
  strictKeys?: ReadonlySet<string>,
): DefinitionRead {
  const initOpts: Record<string, string> = { ...params };
  const pvars: Record<string, string> = { ...vars, ...initOpts };
  const ctx: InterpolationContext = { cs, section: 'Definition', vars: pvars };
  const hasDef = cs.hasSection('Definition');
  const defOpts: Record<string, string> = {};
  if (hasDef) {
    for (const k of cs.keys('Definition')) {
      if (!strictKeys || strictKeys.has(k)) {
        defOpts[k] = getOwnFirst(ctx, k)!;
        continue;
      }
      try {
        defOpts[k] = getOwnFirst(ctx, k)!;
      } catch (e) {
        // Only an error if a tag actually uses it: the tag check then fails through `lookup`.
        if (!(e instanceof ConfigError)) throw e;
      }
    }
  }
  // A passed `key` also replaces conditional variants `key?…` not passed explicitly (fail2ban 1.1.1).
  const overridden = (k: string): boolean => {
    const m = CONDITIONAL_KEY_RE.exec(k);
    return m !== null && m[1]! in params && !(k in params);
  };
  for (const k of Object.keys(defOpts)) if (overridden(k)) Reflect.deleteProperty(defOpts, k);
  if (cs.sections.has('Init')) {
    const ictx: InterpolationContext = { cs, section: 'Init' };
    for (const k of cs.ownKeys('Init')) {
      const v = interpolateEntry(ictx, k, cs.own('Init', k)!);
      if (!k.startsWith('known/')) initOpts[`known/${k}`] = v;
      if (!(k in initOpts) && !overridden(k)) initOpts[k] = v;
    }
  }
  const combined = { ...defOpts, ...initOpts };

  const cache = new Map<string, string | undefined>();
  const lookup = (name: string): string | undefined => {
    if (cache.has(name)) return cache.get(name);
    let v: string | undefined;
    const m = SECTION_OPT_RE.exec(name);
    if (m) {
      const sec = m[1]!;
      const opt = m[2]!.toLowerCase();
      const low = sec.toLowerCase();
      if (low === 'known') {
        const prev = cs.knownBefore('Definition', opt);
        v = prev ? interpolateEntry({ cs, section: 'Definition' }, opt, prev) : undefined;
        if (v === undefined && hasDef) v = getOption({ cs, section: 'Definition' }, opt);
      } else if (low === 'default') {
        v = getOption({ cs, section: DEFAULT_SECTION }, opt);
      } else if (cs.sections.has(sec)) {
        v = getOption({ cs, section: sec }, opt);
      }
    }
    if (v === undefined && hasDef) v = getOption(ctx, name);
    cache.set(name, v);
    return v;
  };
  const where = (key: string): Where | undefined => {
    const base = key.startsWith('known/') ? key.slice(6) : key;
    return (cs.own('Init', base) ?? cs.lookup('Definition', base))?.where ?? { file, line: 0 };
  };
  const initKeys = Object.keys(initOpts).filter((k) => !k.startsWith('known/'));
  return { cs, file, combined, params, lookup, where, ctx, initKeys };
}

/** Re-throw a ConfigError without file context with the option's file:line. */
export function withWhere<T>(fn: () => T, where: Where | undefined): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError && e.file === undefined && where) throw new ConfigError(errorMessage(e), where);
    throw e;
  }
}
