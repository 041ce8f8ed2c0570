/**
 * fail2ban-regex's `-l/--log-level`: fail2ban logs to stdout, among the report lines, as
 *   2026-12-03 22:09:35,796 fail2ban.filter         [12231]: INFO   I:   maxLines: 1
 * We reproduce the messages whose text is deterministic: the config reader's "Loading configs"
 * and "Loading files" lines and the filter's maxLines/date pattern settings (time and pid are
 * ours). fail2ban's debug chatter and the filter's run-time warnings are not reproduced.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { UsageError } from '../core/errors.js';
import { readIniFile } from '../config/ini.js';
import { pyRepr } from '../control/pyrepr.js';
import { LOG_LEVELS } from '../observe/levels.js';
import { asctime } from '../observe/log-format.js';

/** fail2ban's str2LogLevel: a level name (any case) or a number. */
export function parseLogLevel(v: string): number {
  if (/^\d+$/.test(v)) return Number(v);
  const n = LOG_LEVELS[v.toUpperCase()];
  if (n === undefined) throw new UsageError(`option -l/--log-level: Invalid log level ${pyRepr(v)}`);
  return n;
}

/** One INFO line in fail2ban-regex's default (non-verbose) log format. */
export function infoLine(logger: string, msg: string): string {
  return `${asctime(Date.now() / 1000)} ${`fail2ban.${logger}`.padEnd(24)}[${process.pid}]: ${'INFO'.padEnd(7)}I: ${msg}`;
}

/** Python's os.path.join: no normalisation (fail2ban's messages keep `..` as given). */
const join = (...parts: string[]): string =>
  parts.reduce((a, b) => (isAbsolute(b) ? b : a === '' || a.endsWith('/') ? a + b : `${a}/${b}`));

const isFile = (f: string): boolean => existsSync(f) && statSync(f).isFile();

/**
 * The "Loading files" messages fail2ban's include-aware parser logs while reading `files`:
 * each file once as it is parsed (also an include that does not exist), then the whole list.
 * `shared`: files and include lists are cached for the run (the filter.d reading), so each is
 * announced once; an explicit foreign file is read without that cache.
 */
export function loadingTrace(files: string[], shared: boolean): string[] {
  const out: string[] = [];
  const parsed = new Map<string, string | null>();
  const lists = new Map<string, string[]>();
  const includes = (given: string[], seen: string[]): string[] => {
    const names: string[] = [];
    for (const f of given) {
      names.push(f);
      const local = `${f.replace(/\.[^./]*$/, '')}.local`;
      if (!given.includes(local) && isFile(local)) names.push(local);
    }
    const key = names.join('\x01');
    const hit = shared ? lists.get(key) : undefined;
    if (hit) return hit;
    const full = names.flatMap((n) => uncached(n, seen));
    if (shared) lists.set(key, full);
    return full;
  };
  const uncached = (file: string, seen: string[]): string[] => {
    if (!shared || !parsed.has(file)) {
      out.push(`  Loading files: ${pyRepr([file])}`);
      parsed.set(file, isFile(file) ? file : null);
    }
    if (parsed.get(file) === null) return [];
    const inc = readIniFile(file).sections.get('INCLUDES');
    const before: string[] = [];
    const after: string[] = [];
    for (const [opt, list] of [
      ['before', before],
      ['after', after],
    ] as const) {
      const v = inc?.entries.get(opt)?.value;
      if (v === undefined) continue;
      for (const raw of v.split('\n')) {
        const name = raw.trim();
        if (name === '') continue;
        const r = isAbsolute(name) ? name : join(dirname(file), name);
        if (seen.includes(r)) continue;
        list.push(...includes([r], [...seen, file]));
      }
    }
    return [...before, file, ...after];
  };
  const full = includes(files, []);
  if (full.length > 0) out.push(`  Loading files: ${pyRepr(full)}`);
  return out;
}

/** fail2ban's ConfigReader.read of `<basedir>/filter.d/<name>`: the announcement and the files. */
export function filterReadTrace(basedir: string, name: string): [logger: string, msg: string][] {
  const b = join(basedir, 'filter.d', name);
  const files = [
    `${b}.conf`,
    ...globSorted(`${b}.d`, '.conf'),
    `${b}.local`,
    ...globSorted(`${b}.d`, '.local'),
  ].filter((f) => existsSync(f));
  return [
    ['configreader', `Loading configs for filter.d/${name} under ${basedir} `],
    ...loadingTrace(files, true).map((m): [string, string] => ['configparserinc', m]),
  ];
}

/** An explicitly named filter file outside filter.d (read without the shared cache). */
export function explicitReadTrace(file: string): [logger: string, msg: string][] {
  return loadingTrace([file], false).map((m): [string, string] => ['configparserinc', m]);
}

function globSorted(dir: string, ext: string): string[] {
  try {
    if (!statSync(dir).isDirectory()) return [];
  } catch {
    return [];
  }
  return readdirSync(dir)
    .filter((n) => n.endsWith(ext))
    .sort()
    .map((n) => join(dir, n));
}
