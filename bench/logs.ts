/**
 * Deterministic benchmark logs from shared/bench/genlog.py, cached by their arguments so a
 * second run does not pay the generation time again.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './util.js';

export interface GenLog {
  path: string;
  lines: number;
  /** Lines fail2ban's stock filter (mode=normal) counts as failures. */
  hardFailures: number;
  distinctIps: number;
}

export const CACHE = process.env.LOGJAIL_BENCH_CACHE ?? '/tmp/logjail-bench-cache';

export function genlogScript(): string | null {
  const shared = process.env.LOGJAIL_SHARED ?? resolve(ROOT, '..', 'shared');
  const p = join(shared, 'bench', 'genlog.py');
  return existsSync(p) ? p : null;
}

/** `--fail-frac 0.3 --attackers 5000 --v6-frac 0.1 --seed 1` logs of `kind`. */
export function genLog(kind: 'sshd' | 'dovecot', lines: number): GenLog {
  const script = genlogScript();
  if (!script) throw new Error('genlog.py not found (set LOGJAIL_SHARED to the shared/ folder)');
  mkdirSync(CACHE, { recursive: true });
  const base = join(CACHE, `${kind}-${lines}-s1`);
  const path = `${base}.log`;
  const truth = `${base}.truth.json`;
  if (!existsSync(path) || !existsSync(truth)) {
    process.stderr.write(`generating ${lines} ${kind} lines into ${path} …\n`);
    const args = [
      script,
      kind,
      '--lines',
      String(lines),
      '--fail-frac',
      '0.3',
      '--attackers',
      '5000',
      '--v6-frac',
      '0.1',
      '--seed',
      '1',
    ];
    const r = spawnSync('python3', [...args, '-o', `${path}.tmp`, '--truth', `${truth}.tmp`], {
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error(`genlog.py failed (${String(r.status)})`);
    renameSync(`${path}.tmp`, path);
    renameSync(`${truth}.tmp`, truth);
  }
  const t = JSON.parse(readFileSync(truth, 'utf8')) as {
    lines: number;
    hard_failures: number;
    distinct_failing_ips: number;
  };
  return { path, lines: t.lines, hardFailures: t.hard_failures, distinctIps: t.distinct_failing_ips };
}

/** The fail2ban sample corpus (stock filters), as the tests find it. */
export function corpusConfig(): string | null {
  const c = process.env.LOGJAIL_COMPAT_CORPUS ?? resolve(ROOT, '..', 'shared', 'fail2ban-corpus');
  const p = join(c, 'config');
  return existsSync(join(p, 'filter.d')) ? p : null;
}

/** `Mon DD HH:MM:SS` of a date (syslog, day space-padded). */
export function syslogStamp(d: Date): string {
  const m = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
    d.getMonth()
  ]!;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${m} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The i-th address of a deterministic run of distinct public-looking IPv4 addresses (not i-th of any real net). */
export function benchIp(i: number): string {
  // 11.0.0.0/8 upwards: routable-looking, never touched (bans go to a namespace or nowhere)
  const n = 11 * 2 ** 24 + i * 7 + 1;
  return `${Math.floor(n / 2 ** 24) % 256}.${Math.floor(n / 2 ** 16) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}
