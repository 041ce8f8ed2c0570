/**
 * A logical config (`jail`, `fail2ban`, `filter.d/sshd` …): the files fail2ban reads for it, with
 * `[INCLUDES]` expanded, merged key by key. Overridden values are remembered per section so that
 * `%(known/x)s` can reach the value an earlier file gave.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_SECTION, readIniFile, type Entry, type IniFile } from './ini.js';
import type { Where } from './types.js';

export interface ConfigSection {
  name: string;
  where: Where;
  entries: Map<string, Entry>;
}

// `Init?family=inet6` → section `Init`, keys suffixed with `?family=inet6`.
const CONDITIONAL_RE = /^(\w+)(\?.+)$/;

export class ConfigSet {
  /** Files merged, in read order. */
  readonly files: string[] = [];
  /** `.conf` files named in [INCLUDES] that do not exist (skipped, as fail2ban does; named in errors). */
  readonly missingIncludes: { file: string; where: Where }[] = [];
  readonly defaults: ConfigSection = { name: DEFAULT_SECTION, where: { file: '', line: 0 }, entries: new Map() };
  readonly sections = new Map<string, ConfigSection>();
  /** KNOWN/<section>: for every overridden key the earlier values, oldest first. */
  private readonly known = new Map<string, Map<string, Entry[]>>();

  /** Merge one parsed file on top of what was read so far. */
  merge(ini: IniFile): void {
    this.files.push(ini.file);
    for (const sec of ini.sections.values()) {
      let name = sec.name;
      let entries = sec.entries;
      const cond = name === DEFAULT_SECTION ? null : CONDITIONAL_RE.exec(name);
      if (cond) {
        name = cond[1]!;
        entries = new Map([...entries].map(([k, e]) => [k + cond[2]!, e]));
      }
      let target = name === DEFAULT_SECTION ? this.defaults : this.sections.get(name);
      if (!target) {
        target = { name, where: sec.where, entries: new Map() };
        this.sections.set(name, target);
      }
      if (target.where.file === '') target.where = sec.where;
      for (const [key, entry] of entries) {
        const old = target.entries.get(key);
        if (old) this.pushKnown(name, key, old);
        target.entries.set(key, entry);
      }
    }
  }

  private pushKnown(section: string, key: string, entry: Entry): void {
    let m = this.known.get(section);
    if (!m) {
      m = new Map();
      this.known.set(section, m);
    }
    const list = m.get(key);
    if (list) list.push(entry);
    else m.set(key, [entry]);
  }

  /**
   * The value `key` had before `current` replaced it in `section` (for `%(known/key)s` written
   * inside `current`, or inside any other value when `current` is undefined).
   */
  knownBefore(section: string, key: string, current?: Entry): Entry | undefined {
    const list = this.known.get(section)?.get(key);
    if (!list || list.length === 0) return undefined;
    const idx = current ? list.indexOf(current) : -1;
    if (idx === 0) return undefined;
    return idx > 0 ? list[idx - 1] : list[list.length - 1];
  }

  hasSection(name: string): boolean {
    return name === DEFAULT_SECTION || this.sections.has(name);
  }

  /** Section names except DEFAULT, in first-seen order. */
  sectionNames(): string[] {
    return [...this.sections.keys()];
  }

  section(name: string): ConfigSection | undefined {
    return name === DEFAULT_SECTION ? this.defaults : this.sections.get(name);
  }

  /** A key of the section itself (DEFAULT not consulted). */
  own(section: string, key: string): Entry | undefined {
    return this.section(section)?.entries.get(key);
  }

  /** A key as seen from a section: its own, else DEFAULT. */
  lookup(section: string, key: string): Entry | undefined {
    return this.own(section, key) ?? this.defaults.entries.get(key);
  }

  ownKeys(section: string): string[] {
    return [...(this.section(section)?.entries.keys() ?? [])];
  }

  /** Own keys first, then DEFAULT keys not overridden (configparser's `options()`). */
  keys(section: string): string[] {
    const own = this.ownKeys(section);
    const seen = new Set(own);
    return [...own, ...[...this.defaults.entries.keys()].filter((k) => !seen.has(k))];
  }

  /** Set a value programmatically (jail overrides, filter options merged as `known/`). */
  set(section: string, key: string, entry: Entry): void {
    let target = this.section(section);
    if (!target) {
      target = { name: section, where: entry.where, entries: new Map() };
      this.sections.set(section, target);
    }
    target.entries.set(key, entry);
  }
}

/** An Entry made in code (override, parameter), pointing at `where`. */
export function syntheticEntry(value: string, where: Where): Entry {
  return { value, where, lines: value.split('\n').map(() => where) };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function sortedGlob(dir: string, ext: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith(ext))
    .sort()
    .map((n) => join(dir, n))
    .filter(isFile);
}

function resolveBase(basedir: string, base: string): string {
  return isAbsolute(base) ? base : join(basedir, base);
}

/** What is looked for, in read order, for a logical name (for "not found" messages). */
export function configCandidates(basedir: string, base: string): string[] {
  const b = resolveBase(basedir, base);
  return [`${b}.conf`, `${b}.d/*.conf`, `${b}.local`, `${b}.d/*.local`];
}

/** The existing top-level files of a logical config, in read order (includes not expanded). */
export function findConfigFiles(basedir: string, base: string, cache?: ReadCache): string[] {
  const b = resolveBase(basedir, base);
  const hit = cache?.found.get(b);
  if (hit) return hit;
  const out: string[] = [];
  cache?.found.set(b, out);
  if (isFile(`${b}.conf`)) out.push(`${b}.conf`);
  out.push(...sortedGlob(`${b}.d`, '.conf'));
  if (isFile(`${b}.local`)) out.push(`${b}.local`);
  out.push(...sortedGlob(`${b}.d`, '.local'));
  return out;
}

/** Parsed files and directory lookups shared by the many filter/action reads of one config read. */
export class ReadCache {
  readonly ini = new Map<string, IniFile>();
  readonly found = new Map<string, string[]>();
}

class IncludeExpander {
  readonly missing: { file: string; where: Where }[] = [];
  constructor(private readonly cache = new Map<string, IniFile>()) {}

  parse(file: string): IniFile {
    let ini = this.cache.get(file);
    if (!ini) {
      ini = readIniFile(file);
      this.cache.set(file, ini);
    }
    return ini;
  }

  /** before-includes + the file + after-includes, recursively; `seen` = the include path so far. */
  expand(file: string, seen: string[]): string[] {
    const ini = this.parse(file);
    const inc = ini.sections.get('INCLUDES');
    const lists: Record<'before' | 'after', string[]> = { before: [], after: [] };
    if (inc) {
      for (const opt of ['before', 'after'] as const) {
        const entry = inc.entries.get(opt);
        if (!entry) continue;
        entry.value.split('\n').forEach((raw, i) => {
          const name = expandIncludeName(raw.trim(), ini, entry);
          if (name === '') return;
          const r = isAbsolute(name) ? name : join(dirname(file), name);
          if (r === file || seen.includes(r)) return;
          if (!isFile(r)) {
            if (!r.endsWith('.local')) this.missing.push({ file: r, where: entry.lines[i] ?? entry.where });
            return;
          }
          const path = [...seen, file];
          lists[opt].push(...this.expand(r, path));
          // Every included file pulls in its sibling `.local` (common.conf → common.local).
          if (r.endsWith('.conf')) {
            const local = `${r.slice(0, -5)}.local`;
            if (local !== file && !path.includes(local) && isFile(local)) lists[opt].push(...this.expand(local, path));
          }
        });
      }
    }
    return [...lists.before, file, ...lists.after];
  }
}

/** Include names may use `%(x)s` from the including file's own DEFAULT/INCLUDES (rare). */
function expandIncludeName(name: string, ini: IniFile, entry: Entry): string {
  if (!name.includes('%')) return name;
  const local = (key: string): string | undefined =>
    ini.sections.get('INCLUDES')?.entries.get(key)?.value ?? ini.sections.get(DEFAULT_SECTION)?.entries.get(key)?.value;
  return name.replace(/%\(([^)]+)\)s|%%/g, (m, key: string | undefined) => {
    if (key === undefined) return '%';
    const v = local(key.toLowerCase());
    if (v === undefined) throw new ConfigError(`unknown interpolation key '%(${key})s' in [INCLUDES]`, entry.where);
    return v;
  });
}

/** Read a list of files (each with its includes) into one merged set. */
export function readConfigFiles(files: string[], cache?: ReadCache): ConfigSet {
  const exp = new IncludeExpander(cache?.ini);
  const cs = new ConfigSet();
  const done = new Set<string>();
  for (const f of files) {
    for (const file of exp.expand(f, [])) {
      if (done.has(file)) continue;
      done.add(file);
      cs.merge(exp.parse(file));
    }
  }
  cs.missingIncludes.push(...exp.missing);
  return cs;
}

/**
 * Read `<base>.conf`, `<base>.d/*.conf`, `<base>.local`, `<base>.d/*.local` (base relative to
 * basedir unless absolute), includes expanded.
 */
export function readConfigSet(basedir: string, base: string): ConfigSet {
  const files = findConfigFiles(basedir, base);
  if (files.length === 0) {
    const tried = configCandidates(basedir, base);
    const hint = existsSync(basedir) ? '' : ` (${basedir} does not exist)`;
    throw new ConfigError(`Found no accessible config files for '${base}'${hint}; tried ${tried.join(', ')}`);
  }
  return readConfigFiles(files);
}
