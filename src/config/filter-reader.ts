import { resolve as resolvePath } from 'node:path';
/**
 * Reading a filter (`filter.d/<name>.conf` + .d/ + .local, or a filter file given by path) into a
 * FilterDef: parameters, [Init] and [Definition] combined, `%(x)s` and config-level `<tag>`s
 * resolved, jail-level overrides applied, and the file:line of each failregex/ignoreregex line.
 */
import { ConfigError } from '../core/errors.js';
import { readConfigFiles, type ConfigSet, type ReadCache } from './configset.js';
import { conditionalBases, readDefinition, withWhere, type DefinitionRead } from './definition.js';
import type { Entry } from './ini.js';
import { interpolateText, resolveRef, type InterpolationContext } from './interpolate.js';
import { locate } from './locate.js';
import { parseSpec } from './params.js';
import { substituteTags, substituteText } from './tags.js';
import type { FilterDef, Where } from './types.js';

/** Filter options a jail may set itself (they replace the filter's). */
export const FILTER_OPTS = ['usedns', 'prefregex', 'ignoreregex', 'failregex', 'maxlines', 'datepattern', 'journalmatch'] as const;

/** A filter with no regexes (a jail made by `add`, the regex tool's literal regex starts from it). */
export function emptyFilter(name: string, file = ''): FilterDef {
  return {
    name,
    file,
    prefregex: null,
    failregex: [],
    ignoreregex: [],
    maxlines: 1,
    datepattern: null,
    journalmatch: [],
    usedns: null,
    options: {},
  };
}

export interface Traced {
  text: string;
  where: Where;
}

export interface FilterReadOptions {
  /** For error messages: the jail using the filter and where it names it. */
  jail?: string;
  where?: Where;
  /** Origins of jail-level override lines (failregex/ignoreregex), when known. */
  overrideLines?: Partial<Record<string, Traced[]>>;
  /** Share parsed files between reads (one config read). */
  cache?: ReadCache;
}

export interface FilterRead {
  def: FilterDef;
  /** The filter's combined options before jail overrides (merged into the jail as `known/…`). */
  combined: Record<string, string>;
  /** Per-line origins of the filter's own failregex/ignoreregex (before jail overrides). */
  traced: Partial<Record<string, Traced[]>>;
  cs: ConfigSet;
}

function lines(v: string | undefined): string[] {
  return (v ?? '').split('\n').filter((l) => l !== '');
}

function hasOwnKey(o: Readonly<Record<string, string>>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

const WHOLE_REF_RE = /^%\(([^)]+)\)s$/;
const WHOLE_TAG_RE = /^<(.+)>$/s;

export interface TraceOptions {
  /** Substituted option set for `<tag>`s; omit to leave tags alone (jail-level values). */
  tags?: Readonly<Record<string, string>>;
  lookup?: (name: string) => string | undefined;
  /** Already traced values for some references (`known/failregex` in a jail). */
  special?: (name: string) => Traced[] | undefined;
}

/**
 * Best-effort origin of each line of an option: follows lines that consist of a single
 * `%(ref)s` or `<tag>` into the referenced option; other lines keep their own file:line.
 */
export function traceLines(
  entry: Entry,
  key: string,
  ictx: InterpolationContext,
  home: string,
  topts: TraceOptions,
  depth = 0,
): Traced[] {
  const out: Traced[] = [];
  const raw = entry.value.split('\n');
  const tags = topts.tags;
  const subst = (text: string): string => (tags ? substituteText(text, tags, { lookup: topts.lookup }) : text);
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!;
    const w = entry.lines[i] ?? entry.where;
    const t = line.trim();
    if (depth < 20) {
      const ref = WHOLE_REF_RE.exec(t);
      if (ref) {
        const sp = topts.special?.(ref[1]!.toLowerCase());
        if (sp) {
          out.push(...sp);
          continue;
        }
        const r = resolveRef(ictx, ref[1]!, { entry, home });
        if (r?.entry) {
          out.push(...traceLines(r.entry, ref[1]!.toLowerCase(), ictx, r.home, topts, depth + 1));
          continue;
        }
      }
      const tag = tags ? WHOLE_TAG_RE.exec(t) : null;
      if (tag) {
        const name = subst(tag[1]!);
        if (!/[\s<>]/.test(name)) {
          const target = tagEntry(ictx, name);
          if (target) {
            out.push(...traceLines(target.entry, name, target.ctx, target.ctx.section, topts, depth + 1));
            continue;
          }
        }
      }
    }
    const expanded = subst(interpolateText(ictx, key, line, w, entry));
    for (const l of expanded.split('\n')) out.push({ text: l, where: w });
  }
  return out;
}

/** The entry a whole-line `<name>` refers to, when it is a plain file option. */
function tagEntry(ictx: InterpolationContext, name: string): { entry: Entry; ctx: InterpolationContext } | undefined {
  const { cs } = ictx;
  if (ictx.vars && hasOwnKey(ictx.vars, name)) return undefined;
  const slash = /^([\w-]+)\/(.+)$/.exec(name);
  if (slash) {
    const sec = slash[1]!;
    if (['known', 'default'].includes(sec.toLowerCase()) || !cs.sections.has(sec)) return undefined;
    const e = cs.lookup(sec, slash[2]!.toLowerCase());
    return e ? { entry: e, ctx: { cs, section: sec } } : undefined;
  }
  const init = cs.own('Init', name);
  if (init) return { entry: init, ctx: { cs, section: 'Init' } };
  const e = cs.lookup('Definition', name);
  return e ? { entry: e, ctx: ictx } : undefined;
}

/** Trace `key`'s lines and keep the result only if it reproduces the final value exactly. */
function traceOption(read: DefinitionRead, key: string, final: string[], tags: Record<string, string>, fallback: Where): Traced[] {
  const plain = final.map((text) => ({ text, where: fallback }));
  if (hasOwnKey(read.params, key)) return plain;
  const { cs } = read;
  const init = cs.own('Init', key);
  const entry = init ?? cs.lookup('Definition', key);
  if (!entry) return plain;
  const ictx = init ? { cs, section: 'Init' } : read.ctx;
  let traced: Traced[];
  try {
    traced = traceLines(entry, key, ictx, ictx.section, { tags, lookup: read.lookup }).filter((t) => t.text !== '');
  } catch {
    return final.map((text) => ({ text, where: entry.where }));
  }
  if (traced.length === final.length && traced.every((t, i) => t.text === final[i])) return traced;
  return final.map((text) => ({ text, where: entry.where }));
}

function parseMaxlines(v: string, where: Where | undefined): number {
  const t = v.trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`bad value '${v}' for 'maxlines' (expected an integer >= 1)`, where);
  return n;
}

/**
 * `mode` picks options through tags like `<mdre-<mode>>`: a mode the filter does not define
 * would leave that tag as literal regex text that never matches (fail2ban 1.0.2 says nothing).
 */
function checkMode(read: DefinitionRead, name: string, given: Where | undefined): void {
  const mode = read.combined.mode?.trim();
  if (mode === undefined || mode === '') return;
  const has = (k: string): boolean => read.combined[k] !== undefined || read.lookup(k) !== undefined;
  const prefixes = new Set<string>();
  for (const value of Object.values(read.combined))
    for (const [, prefix] of value.matchAll(/<([^ <>]*)<mode>>/g)) prefixes.add(prefix!);
  const missing = [...prefixes].find((p) => !has(`${p}${mode}`));
  if (missing === undefined) return;
  // the modes are the suffixes every one of those tags can take
  const modes = Object.keys(read.combined)
    .filter((k) => k.startsWith(missing) && k.length > missing.length && !k.includes('?'))
    .map((k) => k.slice(missing.length))
    .filter((m) => [...prefixes].every((p) => has(`${p}${m}`)));
  throw new ConfigError(
    `filter '${name}' has no mode '${mode}' (no option '${missing}${mode}'; modes: ${modes.join(', ')})`,
    given ?? read.where('mode'),
  );
}

/**
 * Read a filter. `spec` is a name with optional parameters (`sshd[mode=aggressive]`) or a path to a
 * filter file. `params` add to/override the spec's parameters. `jailOptions` are the jail's options:
 * `backend` selects the default logtype, filter options given there replace the filter's.
 */
export function readFilterFull(
  basedirIn: string,
  spec: string,
  params: Record<string, string> = {},
  jailOptions: Record<string, string> = {},
  opts: FilterReadOptions = {},
): FilterRead {
  const basedir = resolvePath(basedirIn);
  const parsed = parseSpec(spec, opts.where);
  const allParams: Record<string, string> = { ...parsed.params };
  for (const [k, v] of Object.entries(params)) allParams[k.toLowerCase()] = v;
  const loc = locate('filter', basedir, parsed.name, { jail: opts.jail, where: opts.where, cache: opts.cache });
  const cs = readConfigFiles(loc.files, opts.cache);
  const file = loc.files[0]!;

  // logtype follows the backend unless the filter's [Definition] or the parameters set it.
  if (!allParams.logtype && !cs.own('Definition', 'logtype')) {
    allParams.logtype = (jailOptions.backend ?? '').startsWith('systemd') ? 'journal' : 'file';
  }
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(jailOptions)) vars[k.toLowerCase()] = v;
  const read = readDefinition(cs, file, allParams, vars);
  checkMode(read, loc.name, allParams.mode !== undefined ? opts.where : undefined);
  const subst = withWhere(
    () => substituteTags(read.combined, { ignore: conditionalBases(read.combined), lookup: read.lookup, where: read.where }),
    { file, line: 0 },
  );

  const traced: Partial<Record<string, Traced[]>> = {};
  for (const key of ['failregex', 'ignoreregex'] as const) {
    traced[key] = traceOption(read, key, lines(subst[key]), subst, read.where(key) ?? { file, line: 0 });
  }

  const def = buildDef(loc.name, file, subst, traced, read.where);
  const fr: FilterRead = { def, combined: subst, traced, cs };
  return { ...fr, def: applyJailOverrides(fr, jailOptions, opts) };
}

const nonEmpty = (v: string | undefined): string | null => (v === undefined || v.trim() === '' ? null : v);

function buildDef(
  name: string,
  file: string,
  o: Record<string, string>,
  regexLines: Partial<Record<string, Traced[]>>,
  where: (key: string) => Where | undefined,
): FilterDef {
  const toList = (key: string): { regex: string; where: Where }[] =>
    (regexLines[key] ?? []).map((t) => ({ regex: t.text, where: t.where }));
  return {
    name,
    file,
    prefregex: nonEmpty(o.prefregex),
    failregex: toList('failregex'),
    ignoreregex: toList('ignoreregex'),
    maxlines: o.maxlines === undefined || o.maxlines.trim() === '' ? 1 : parseMaxlines(o.maxlines, where('maxlines')),
    datepattern: nonEmpty(o.datepattern),
    journalmatch: lines(o.journalmatch)
      .map((l) => l.trim())
      .filter((l) => l !== ''),
    usedns: nonEmpty(o.usedns),
    options: o,
    optionWhere: { prefregex: where('prefregex'), datepattern: where('datepattern') },
  };
}

/** Filter options given in the jail (`failregex`, `maxlines` …) replace the filter's own. */
export function applyJailOverrides(fr: FilterRead, jailOptions: Readonly<Record<string, string>>, opts: FilterReadOptions = {}): FilterDef {
  const { def } = fr;
  if (!FILTER_OPTS.some((k) => jailOptions[k] !== undefined)) return def;
  const o: Record<string, string> = { ...fr.combined };
  const regexLines: Partial<Record<string, Traced[]>> = { ...fr.traced };
  const fallback = opts.where ?? { file: def.file, line: 0 };
  for (const key of FILTER_OPTS) {
    const v = jailOptions[key];
    if (v === undefined) continue;
    o[key] = v;
    if (key === 'failregex' || key === 'ignoreregex') {
      const given = opts.overrideLines?.[key];
      const ls = lines(v);
      regexLines[key] =
        given && given.length === ls.length && given.every((g, i) => g.text === ls[i]) ? given : ls.map((text) => ({ text, where: fallback }));
    }
  }
  // options the jail leaves alone keep the filter file's line
  const where = (key: string): Where =>
    (jailOptions[key] === undefined ? def.optionWhere?.[key as 'prefregex' | 'datepattern'] : undefined) ?? fallback;
  return buildDef(def.name, def.file, o, regexLines, where);
}

export function readFilter(
  basedir: string,
  spec: string,
  params?: Record<string, string>,
  jailOptions?: Record<string, string>,
  opts?: FilterReadOptions,
): FilterDef {
  return readFilterFull(basedir, spec, params, jailOptions, opts).def;
}
