/**
 * Date detection against fail2ban's sample corpus (read at run time, never copied):
 * every datepattern of the stock filters must build, and every annotated sample line with a
 * `time` must get that time (TZ Europe/Zurich, now = 1124013600, as fail2ban's tests).
 */
process.env.TZ = 'Europe/Zurich';

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { DateDetector } from './index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const corpus = process.env.LOGJAIL_COMPAT_CORPUS ?? resolve(repoRoot, '../shared/fail2ban-corpus');
const haveCorpus = existsSync(join(corpus, 'config/filter.d'));
const NOW = 1124013600;

type Sections = Map<string, Map<string, string>>;

/** Crude INI reader: sections, `key = value`, indented continuation lines. */
function readIni(path: string, into: Sections = new Map()): Sections {
  let sec: Map<string, string> | undefined;
  let key: string | undefined;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\s*[#;]/.test(line)) continue;
    const head = /^\[([^\]]+)\]/.exec(line);
    if (head) {
      const name = head[1] ?? '';
      sec = into.get(name) ?? new Map<string, string>();
      into.set(name, sec);
      key = undefined;
      continue;
    }
    if (line.trim() === '') {
      key = undefined;
      continue;
    }
    if (/^\s/.test(line) && key !== undefined && sec) {
      sec.set(key, `${sec.get(key) ?? ''}\n${line.trim()}`);
      continue;
    }
    const kv = /^([^=]+?)\s*=\s?(.*)$/.exec(line);
    if (kv && sec) {
      key = (kv[1] ?? '').toLowerCase();
      sec.set(key, (kv[2] ?? '').trim());
    }
  }
  return into;
}

function filterFile(name: string): string | null {
  for (const dir of ['config/filter.d', 'tests/config/filter.d']) {
    const p = join(corpus, dir, `${name}.conf`);
    if (existsSync(p)) return p;
  }
  return null;
}

/** The filter and its `before` includes, merged (the filter itself wins). */
function loadFilter(path: string): Sections {
  const own = readIni(path);
  const merged: Sections = new Map();
  for (const inc of (own.get('INCLUDES')?.get('before') ?? '').split(/\s+/).filter(Boolean)) {
    const p = join(dirname(path), inc);
    if (existsSync(p)) for (const [s, kv] of loadFilter(p)) merged.set(s, new Map([...(merged.get(s) ?? []), ...kv]));
  }
  for (const [s, kv] of own) merged.set(s, new Map([...(merged.get(s) ?? []), ...kv]));
  return merged;
}

function get(cfg: Sections, sec: string, key: string): string | undefined {
  return cfg.get(sec)?.get(key) ?? cfg.get('DEFAULT')?.get(key);
}

/** configparser `%(x)s` / `%(sec/x)s` interpolation and `%%` → `%`. */
function interp(cfg: Sections, sec: string, value: string, depth = 0): string {
  if (depth > 10) return value;
  return value.replace(/%%|%\(([\w/-]+)\)s/g, (m, name: string | undefined) => {
    if (name === undefined) return '%';
    const [s, k] = name.includes('/') ? (name.split('/') as [string, string]) : [sec, name];
    return interp(cfg, s, get(cfg, s, k) ?? get(cfg, 'Init', k) ?? m, depth + 1);
  });
}

/** fail2ban `<tag>` substitution for the tags a datepattern uses (`<lt_<logtype>/datepattern>`). */
function tags(cfg: Sections, value: string, opts: Record<string, string>): string {
  let v = value;
  for (let n = 0; n < 10; n++) {
    const next = v.replace(/<([\w/-]+)>/g, (m, name: string) => {
      if (opts[name] !== undefined) return opts[name];
      if (name.includes('/')) {
        const [s, k] = name.split('/') as [string, string];
        const raw = cfg.get(s)?.get(k);
        return raw === undefined ? m : interp(cfg, s, raw);
      }
      const raw = get(cfg, 'Init', name) ?? get(cfg, 'Definition', name);
      return raw === undefined ? m : interp(cfg, 'Definition', raw);
    });
    if (next === v) break;
    v = next;
  }
  return v;
}

function datepatternOf(cfg: Sections, opts: Record<string, string>): string | null {
  const raw = opts.datepattern ?? cfg.get('Init')?.get('datepattern') ?? get(cfg, 'Definition', 'datepattern');
  if (raw === undefined) return null;
  return tags(cfg, interp(cfg, 'Definition', raw), opts);
}

/** Expected local time `YYYY-MM-DDTHH:MM:SS[.ffffff]` → epoch seconds. */
function localTime(s: string): number {
  const m = /^(\d{4})-(\d\d?)-(\d\d?)T(\d\d?):(\d\d):(\d\d)(\.\d+)?$/.exec(s);
  if (!m) throw new Error(`bad time ${s}`);
  const n = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return new Date(n[0], n[1] - 1, n[2], n[3], n[4], n[5]).getTime() / 1000 + Number(m[7] ?? 0);
}

describe.skipIf(!haveCorpus)('fail2ban corpus', () => {
  it('builds every datepattern of the stock filters', () => {
    const seen: string[] = [];
    for (const dir of ['config/filter.d', 'tests/config/filter.d']) {
      for (const f of readdirSync(join(corpus, dir)).filter((n) => n.endsWith('.conf'))) {
        const cfg = loadFilter(join(corpus, dir, f));
        for (const [sec, kv] of cfg) {
          const raw = kv.get('datepattern');
          if (raw === undefined) continue;
          const dp = tags(cfg, interp(cfg, sec, raw), { logtype: 'file' });
          if (dp.includes('<lt_') || dp.includes('<L_')) continue;
          seen.push(`${f}[${sec}]`);
          expect(() => new DateDetector({ datepattern: dp, clock: fixedClock(NOW) }), `${f}[${sec}]: ${dp}`).not.toThrow();
        }
      }
    }
    expect(seen.length).toBeGreaterThan(40);
  });

  it('finds the annotated time of the sample lines', () => {
    const logs = join(corpus, 'tests/logs');
    let checked = 0;
    let viaLast = 0;
    let custom = 0;
    const failures: string[] = [];
    for (const name of readdirSync(logs)) {
      const path = join(logs, name);
      if (statSync(path).isDirectory()) continue;
      const conf = filterFile(name);
      if (conf === null) continue;
      const cfg = loadFilter(conf);
      let fileOpts: Record<string, string> = {};
      let opts: Record<string, string> = {};
      let pending: { time?: string | null; match?: boolean } | null = null;
      const detectors = new Map<string, DateDetector>();
      let last = NaN;
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        const fj = /^#\s*failJSON:\s*(.*)$/.exec(line);
        if (fj) {
          pending = JSON.parse(fj[1] ?? '{}') as { time?: string | null; match?: boolean };
          continue;
        }
        const fo = /#\s*(filterOptions|fileOptions):\s*(.*)$/.exec(line);
        if (fo) {
          const v = JSON.parse(fo[2] ?? '{}') as Record<string, string> | Record<string, string>[];
          const first = Array.isArray(v) ? (v[0] ?? {}) : v;
          if (fo[1] === 'fileOptions') fileOpts = first;
          opts = { ...fileOpts, ...first };
          continue;
        }
        if (line.startsWith('#') || line.trim() === '') continue;
        const ann = pending;
        pending = null;
        if (opts.logtype === 'journal' || name.endsWith('-journal')) continue;
        const dp = datepatternOf(cfg, opts);
        const key = dp ?? '\0';
        let dd = detectors.get(key);
        if (!dd) {
          dd = new DateDetector({ datepattern: dp, clock: fixedClock(NOW) });
          detectors.set(key, dd);
        }
        const m = dd.match(line);
        let t = m?.time ?? NaN;
        const usedLast = Number.isNaN(t);
        if (usedLast) t = last;
        else last = t;
        // fail2ban checks the time only of lines that yield a failure
        if (ann?.time == null || ann.match !== true) continue;
        checked++;
        if (usedLast) viaLast++;
        if (dp !== null && dp.trim() !== '{^LN-BEG}') custom++;
        const want = localTime(ann.time);
        if (Math.abs(t - want) > 1e-6) failures.push(`${name}: want ${ann.time} (${want}) got ${t} via ${m?.template.name ?? 'none'}: ${line}`);
      }
    }
    console.log(`corpus dates: ${checked - failures.length}/${checked} annotated times found (${viaLast} from the previous line, ${custom} with a filter's own datepattern)`);
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(650);
  });
});
