/**
 * Reader for fail2ban's annotated sample corpus (tests/logs/<filter>): turns a sample file
 * set into the ordered list of steps upstream's sample test performs — which line goes
 * through which filter option set, and what it must produce. Data is read at run time from
 * the corpus directory; nothing of it lives in this repository.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** $LOGJAIL_COMPAT_CORPUS, or ../shared/fail2ban-corpus next to the repository. */
export function corpusDir(): string {
  return process.env.LOGJAIL_COMPAT_CORPUS ?? resolve(repoRoot, '..', 'shared', 'fail2ban-corpus');
}

/** upstream's "now" for the sample tests: 2005-08-14 12:00:00 CEST. */
export const TEST_NOW = 1124013600;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type FailJson = Record<string, JsonValue>;
export type Opts = Record<string, JsonValue>;

export interface Step {
  /** Sample file name (relative to tests/logs) and 1-based line number of the log line. */
  file: string;
  lineNo: number;
  line: string;
  /** The failJSON annotation; null for an unannotated line (must not match). */
  expect: FailJson | null;
  /** Filter instance key (same options → same, stateful, filter instance). */
  key: string;
  /** Filter options without the `test.*` keys. */
  filterOpts: Record<string, string>;
  /** All options of the set, `test.*` included. */
  opts: Opts;
}

export interface Plan {
  name: string;
  steps: Step[];
  /** Distinct option sets by key, in first-use order. */
  instances: Map<string, Record<string, string>>;
}

const DIRECTIVE = /^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$/;

/** The few Python conditions the corpus uses: `name == '…'`, `opts.get('k') ==/!= '…'`. */
export function evalCondition(expr: string, name: string, opts: Opts): boolean {
  const m = /^\s*(name|opts\.get\('([^']+)'\))\s*(==|!=)\s*'([^']*)'\s*$/.exec(expr);
  if (!m) throw new Error(`unsupported sample condition: ${expr}`);
  const left = m[1] === 'name' ? name : opts[m[2]!] ?? null;
  return m[3] === '==' ? left === m[4] : left !== m[4];
}

function filterOptions(opts: Opts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts)) if (!k.startsWith('test.')) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

function readLines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Walks the sample file(s) of test `name` the way upstream's samples test does. */
export function buildPlan(name: string, logsDir = join(corpusDir(), 'tests', 'logs')): Plan {
  const files = [name];
  const steps: Step[] = [];
  const instances = new Map<string, Record<string, string>>();
  let commonOpts: Opts = {};
  let tests: { key: string; filterOpts: Record<string, string>; opts: Opts }[] | null = null;
  let ignoreBlock = false;
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    const lines = readLines(join(logsDir, file));
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      let lineNo = i + 1;
      let expect: FailJson | null = null;
      const d = DIRECTIVE.exec(line);
      if (d) {
        const data = JSON.parse(d[2]!) as JsonValue;
        const kind = d[1]!;
        if (kind === 'fileOptions') {
          commonOpts = data as Opts;
          continue;
        }
        if (kind === 'filterOptions') {
          tests = [];
          ignoreBlock = false;
          for (const set of Array.isArray(data) ? (data as Opts[]) : [data as Opts]) {
            const opts: Opts = { ...commonOpts, ...set };
            const cond = opts['test.condition'];
            if (typeof cond === 'string' && cond) ignoreBlock = !evalCondition(cond, name, opts);
            if (ignoreBlock) continue;
            const fo = filterOptions(opts);
            const key = Object.keys(fo).length ? `${name}${JSON.stringify(fo)}` : name;
            tests.push({ key, filterOpts: fo, opts });
          }
          continue;
        }
        if (kind === 'addFILE') {
          files.push(data as string);
          continue;
        }
        expect = data as FailJson;
        i++;
        lineNo = i + 1;
        line = lines[i] ?? '';
      } else if (ignoreBlock || line.startsWith('#') || line.trim() === '') continue;
      if (ignoreBlock) continue;
      if (!tests || tests.length === 0) tests = [{ key: name, filterOpts: {}, opts: {} }];
      for (const t of tests) {
        const constraint = expect?.constraint;
        if (typeof constraint === 'string' && constraint && !evalCondition(constraint, name, t.opts)) continue;
        if (!instances.has(t.key)) instances.set(t.key, t.filterOpts);
        steps.push({ file, lineNo, line, expect, key: t.key, filterOpts: t.filterOpts, opts: t.opts });
      }
    }
  }
  return { name, steps, instances };
}

/** Testable filters: stock ones with a sample file (some samples are held out) plus tests' zzz-*. */
export function sampleFilters(dir = corpusDir()): { name: string; basedir: 'stock' | 'tests' }[] {
  const logs = join(dir, 'tests', 'logs');
  const out: { name: string; basedir: 'stock' | 'tests' }[] = [];
  for (const f of readdirSync(join(dir, 'config', 'filter.d')).sort()) {
    if (!f.endsWith('.conf') || f.endsWith('common.conf')) continue;
    const name = f.slice(0, -5);
    if (existsSync(join(logs, name))) out.push({ name, basedir: 'stock' });
  }
  const testFilters = join(dir, 'tests', 'config', 'filter.d');
  if (existsSync(testFilters)) {
    for (const f of readdirSync(testFilters).sort()) {
      if (f.startsWith('zzz-') && f.endsWith('.conf')) out.push({ name: f.slice(0, -5), basedir: 'tests' });
    }
  }
  return out;
}

/** `YYYY-MM-DDTHH:MM:SS[.ffffff]` as local time (process TZ) → epoch seconds. */
export function localTime(text: string): number {
  const m = /^(\d{4})-(\d\d?)-(\d\d?)T(\d\d?):(\d\d?):(\d\d?)(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new Error(`bad sample time: ${text}`);
  const n = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = new Date(n[0], n[1] - 1, n[2], n[3], n[4], n[5]).getTime();
  const frac = m[7] ? Number(`0.${m[7]}`) : 0;
  return ms / 1000 + frac;
}

/** Number of failJSON annotations in the corpus (excluding bsd/). */
export function countAnnotations(dir = corpusDir()): number {
  const logs = join(dir, 'tests', 'logs');
  let n = 0;
  for (const f of readdirSync(logs, { withFileTypes: true })) {
    if (!f.isFile()) continue;
    for (const l of readLines(join(logs, f.name))) if (/^#+ ?failJSON:/.test(l)) n++;
  }
  return n;
}
