/**
 * `%(name)s` interpolation with fail2ban's extensions of Python's BasicInterpolation:
 * lookup order vars → section → DEFAULT, `%(__name__)s` = section name, `%(section/option)s`,
 * `%(default/option)s`, `%(known/option)s` (the value an earlier file gave), `%%` = `%`,
 * and at most 10 nested levels.
 */
import { ConfigError } from '../core/errors.js';
import type { ConfigSet } from './configset.js';
import { DEFAULT_SECTION, type Entry } from './ini.js';
import type { Where } from './types.js';

export const MAX_INTERPOLATION_DEPTH = 10;

export interface InterpolationContext {
  cs: ConfigSet;
  /** The section whose value is being read (`__name__`, first lookup place). */
  section: string;
  /** Highest-priority values (filter/action parameters); keys lower-case. */
  vars?: Readonly<Record<string, string>>;
}

/** Where a piece of text came from: the key it belongs to and the section that key lives in. */
interface Origin {
  key: string;
  where: Where | undefined;
  entry: Entry | undefined;
  home: string;
}

/** A resolved reference: its raw text and, when it came from a file, the entry. */
export interface ResolvedRef {
  text: string;
  entry?: Entry;
  home: string;
}

const REF_RE = /%\(([^)]+)\)s/y;
const SECTION_OPT_RE = /^([\w-]+)\/(.+)$/s;

function hasOwn(o: Readonly<Record<string, string>>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Resolve a reference name as `%(name)s` sees it, without interpolating the result. */
export function resolveRef(ctx: InterpolationContext, name: string, from?: { entry?: Entry; home?: string }): ResolvedRef | undefined {
  const lower = name.toLowerCase();
  const { cs, section } = ctx;
  if (lower === '__name__') return { text: section, home: section };
  if (ctx.vars && hasOwn(ctx.vars, lower)) return { text: ctx.vars[lower]!, home: section };
  const own = cs.own(section, lower);
  if (own) return { text: own.value, entry: own, home: section };
  const def = cs.defaults.entries.get(lower);
  if (def) return { text: def.value, entry: def, home: DEFAULT_SECTION };
  const m = SECTION_OPT_RE.exec(name);
  if (!m) return undefined;
  const sec = m[1]!;
  const opt = m[2]!.toLowerCase();
  const secLower = sec.toLowerCase();
  if (secLower === 'known') {
    const home = from?.home ?? section;
    const prev = cs.knownBefore(home, opt, from?.entry) ?? (home !== section ? cs.knownBefore(section, opt) : undefined);
    if (prev) return { text: prev.value, entry: prev, home };
    const d = cs.defaults.entries.get(opt);
    // Falling back to the very value being read would only recurse forever.
    if (d && d !== from?.entry) return { text: d.value, entry: d, home: DEFAULT_SECTION };
    return undefined;
  }
  if (secLower === 'default') {
    const d = cs.defaults.entries.get(opt);
    return d ? { text: d.value, entry: d, home: DEFAULT_SECTION } : undefined;
  }
  if (!cs.hasSection(sec)) return undefined;
  const e = cs.lookup(sec, opt);
  return e ? { text: e.value, entry: e, home: sec } : undefined;
}

function describe(o: Origin, section: string): string {
  return `option '${o.key}' of [${section}]`;
}

function expand(ctx: InterpolationContext, text: string, origin: Origin, depth: number): string {
  if (!text.includes('%')) return text;
  if (depth > MAX_INTERPOLATION_DEPTH) {
    throw new ConfigError(
      `interpolation deeper than ${MAX_INTERPOLATION_DEPTH} levels (a reference loop?) in ${describe(origin, ctx.section)}`,
      origin.where,
    );
  }
  let out = '';
  let i = 0;
  while (i < text.length) {
    const p = text.indexOf('%', i);
    if (p < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, p);
    const c = text.charAt(p + 1);
    if (c === '%') {
      out += '%';
      i = p + 2;
      continue;
    }
    if (c === '(') {
      REF_RE.lastIndex = p;
      const m = REF_RE.exec(text);
      if (!m) {
        throw new ConfigError(
          `bad interpolation reference '${text.slice(p, p + 20)}' in ${describe(origin, ctx.section)} (expected %(name)s)`,
          origin.where,
        );
      }
      const name = m[1]!;
      const r = resolveRef(ctx, name, { entry: origin.entry, home: origin.home });
      if (!r) {
        const missing = ctx.cs.missingIncludes.map((m) => `${m.file} (included at ${m.where.file}:${m.where.line})`);
        const note = missing.length ? `; note: included file not found: ${missing.join(', ')}` : '';
        throw new ConfigError(`unknown interpolation key '%(${name})s' in ${describe(origin, ctx.section)}${note}`, origin.where);
      }
      const next: Origin = r.entry
        ? { key: name.toLowerCase(), where: r.entry.where, entry: r.entry, home: r.home }
        : { ...origin, entry: undefined };
      out += expand(ctx, r.text, next, depth + 1);
      i = p + m[0].length;
      continue;
    }
    throw new ConfigError(
      `'%' must be followed by '%' or '(' in ${describe(origin, ctx.section)}, found '${text.slice(p, p + 10)}' (write %% for a literal %)`,
      origin.where,
    );
  }
  return out;
}

/** Interpolate a raw entry read as `key` of `ctx.section`. */
export function interpolateEntry(ctx: InterpolationContext, key: string, entry: Entry, home = ctx.section): string {
  return expand(ctx, entry.value, { key, where: entry.where, entry, home }, 1);
}

/** Interpolate free text (a parameter value, one line of a value) as if it were `key`. */
export function interpolateText(ctx: InterpolationContext, key: string, text: string, where?: Where, entry?: Entry): string {
  return expand(ctx, text, { key, where, entry, home: ctx.section }, 1);
}

/**
 * configparser's `get(section, key, vars=…)`: vars win, then the section, then DEFAULT.
 * Returns undefined when the option does not exist.
 */
export function getOption(ctx: InterpolationContext, key: string): string | undefined {
  const k = key.toLowerCase();
  if (k === '__name__') return ctx.section;
  if (ctx.vars && hasOwn(ctx.vars, k)) return interpolateText(ctx, k, ctx.vars[k]!);
  const own = ctx.cs.own(ctx.section, k);
  if (own) return interpolateEntry(ctx, k, own);
  const def = ctx.cs.defaults.entries.get(k);
  if (def) return interpolateEntry(ctx, k, def, DEFAULT_SECTION);
  return undefined;
}

/** Like getOption but the section's own entry wins over vars (used for reading all keys of a section). */
export function getOwnFirst(ctx: InterpolationContext, key: string): string | undefined {
  const k = key.toLowerCase();
  const own = ctx.cs.own(ctx.section, k);
  if (own) return interpolateEntry(ctx, k, own);
  if (ctx.vars && hasOwn(ctx.vars, k)) return interpolateText(ctx, k, ctx.vars[k]!);
  const def = ctx.cs.defaults.entries.get(k);
  if (def) return interpolateEntry(ctx, k, def, DEFAULT_SECTION);
  return undefined;
}
