/**
 * Process helpers for the bench: run a command with wall/CPU/peak-RSS accounting, poll a
 * process's memory, wait for conditions. Measurements only: nothing here asserts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'dist/src/cli/logjail.js');
/**
 * The V8 flags of the binaries' `#!/usr/bin/env -S node …` lines (and `npm start`): a 4 MiB
 * young generation keeps the regex tool under 100 MB on any log size for ~5% more CPU.
 * Benches that run `node CLI` directly pass them too (see src/cli/shebang.test.ts).
 */
export const NODE_FLAGS = ['--max-semi-space-size=4'];

export interface RunStats {
  /** Wall seconds. */
  wall: number;
  /** CPU seconds (user + sys), children included. */
  cpu: number;
  /** Peak resident set, MiB. */
  rssMiB: number;
  code: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p !== '' ? p : null;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Runs `cmd args` to completion (or `timeoutS`), measured by /usr/bin/time when present. */
export function measure(cmd: string, args: string[], timeoutS: number, cwd?: string): Promise<RunStats> {
  const statFile = join(tmpdir(), `lj-bench-time-${process.pid}-${Date.now()}`);
  const argv = TIME ? [TIME, '-f', '%e %U %S %M', '-o', statFile, cmd, ...args] : [cmd, ...args];
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const p = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-200_000)));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    let timedOut = false;
    let peak = 0;
    const poll = TIME ? null : setInterval(() => (peak = Math.max(peak, procMemKiB(p.pid, 'VmHWM'))), 100);
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(p);
    }, timeoutS * 1000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      let cpu = NaN;
      let rss = peak;
      if (TIME && existsSync(statFile)) {
        const last = readFileSync(statFile, 'utf8').trim().split('\n').pop() ?? '';
        const [, u, s, m] = last.split(' ').map(Number);
        if (u !== undefined && s !== undefined && Number.isFinite(u)) cpu = u + s;
        if (m !== undefined && Number.isFinite(m)) rss = m;
        rmSync(statFile, { force: true });
      }
      resolve({ wall, cpu, rssMiB: rss / 1024, code, timedOut, stdout, stderr });
    });
  });
}

function killTree(p: ChildProcess): void {
  // /usr/bin/time forwards nothing: end its child first (its only child), then it
  if (p.pid !== undefined) spawnSync('pkill', ['-TERM', '-P', String(p.pid)]);
  p.kill('SIGTERM');
}

/** A field of /proc/<pid>/status in KiB (VmRSS, VmHWM), 0 when unknown. */
export function procMemKiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (pid === undefined) return 0;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (utime + stime) of a live process, from /proc/<pid>/stat. */
export function procCpu(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it returns true or `timeoutMs` passes; true when met. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= end) return false;
    await sleep(everyMs);
  }
}

export const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
