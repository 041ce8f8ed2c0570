/**
 * Pre-forked `/bin/sh` for action commands.
 *
 * Starting a process from the daemon costs a fork of the whole Node process plus an exec, and
 * libuv blocks the event loop until the exec is done: 5–15 ms on small VMs, most of the time
 * between a log line and its ban. A "zygote" is a small long-lived shell that keeps one child
 * subshell forked ahead, blocked reading its next request; a command then costs a pipe write,
 * and the zygote forks the next child while nobody waits.
 *
 * What a command sees is what `sh -c <script> sh <args…>` gives it — a fresh (forked) shell,
 * the positional values, stdin at /dev/null, the runner's environment — except that `$$` is
 * the zygote's pid and it shares the zygote's process group. The request travels on the
 * zygote's stdin as line-counted items read with `read -r`: values stay data, never shell text.
 * A timeout kills the zygote's whole group (the command and anything it started) and the pool
 * starts a new zygote. Requests with stdin data or a large payload take the plain spawn path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { RunResult } from './runner.js';

/** $1 = the tag that ends each command's output on stdout (followed by the status) and stderr. */
const ZYGOTE = `exec 3<&0
__lj_t=$1
__lj_item() {
  IFS= read -r __lj_c <&3 || return 1
  __lj_v=
  __lj_i=0
  while [ "$__lj_i" -lt "$__lj_c" ]; do
    IFS= read -r __lj_l <&3 || return 1
    if [ "$__lj_i" -eq 0 ]; then __lj_v=$__lj_l; else __lj_v="$__lj_v
$__lj_l"; fi
    __lj_i=$((__lj_i + 1))
  done
}
while :; do
  (
    __lj_item || { kill $$; exit 0; }
    __lj_s=$__lj_v
    __lj_item || { kill $$; exit 0; }
    __lj_n=$__lj_v
    set --
    while [ "$__lj_n" -gt 0 ]; do
      __lj_item || { kill $$; exit 0; }
      set -- "$@" "$__lj_v"
      __lj_n=$((__lj_n - 1))
    done
    exec 3<&- </dev/null
    unset -v __lj_c __lj_v __lj_i __lj_l __lj_n __lj_t
    unset -f __lj_item
    eval "$__lj_s"
  ) &
  wait $!
  __lj_st=$?
  printf '%s%s\\n' "$__lj_t" "$__lj_st"
  printf '%s\\n' "$__lj_t" >&2
done
`;

/** Larger requests are read byte by byte by the shell's `read`: a plain spawn is faster then. */
const MAX_PAYLOAD = 8 * 1024;
/** Zygotes per environment: one per command running at the same time. */
const MAX_ZYGOTES = 4;

export interface ShellJob {
  script: string;
  /** $1 … */
  args: string[];
  /** Seconds. */
  timeout: number;
  graceMs: number;
  maxStdout: number;
  maxStderr: number;
}

/** One line-counted item: `read -r` can read any text that has no NUL. */
function item(s: string): string {
  const n = s.split('\n').length;
  return `${String(n)}\n${s}\n`;
}

export function encodeRequest(script: string, args: readonly string[]): string {
  return item(script) + item(String(args.length)) + args.map(item).join('');
}

interface Pending {
  job: ShellJob;
  resolve: (r: RunResult) => void;
  stdout: string | null;
  stderr: string | null;
  code: number | null;
  timedOut: boolean;
  timer: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
}

class Zygote {
  readonly proc: ChildProcess;
  private readonly tag = `\u0001lj${randomBytes(12).toString('hex')}:`;
  private out = '';
  private err = '';
  private pending: Pending | null = null;
  alive = true;

  constructor(prefix: readonly string[], env: NodeJS.ProcessEnv) {
    const argv = [...prefix, '/bin/sh', '-c', ZYGOTE, 'sh', this.tag];
    // own process group: a timeout kills the command's whole tree (and this zygote)
    this.proc = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env });
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
      this.scan();
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.err += d;
      this.scan();
    });
    this.proc.stdin!.on('error', () => {
      /* the zygote died; 'exit' reports it */
    });
    this.proc.on('error', () => {
      this.gone(null);
    });
    this.proc.on('exit', (_code, signal) => {
      this.gone(signal);
    });
    this.idle(true);
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  run(job: ShellJob, payload: string): Promise<RunResult> {
    this.idle(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        p.timedOut = true;
        this.killGroup('SIGTERM');
        p.killTimer = setTimeout(() => {
          this.killGroup('SIGKILL');
        }, job.graceMs);
        p.killTimer.unref();
      }, job.timeout * 1000);
      const p: Pending = { job, resolve, stdout: null, stderr: null, code: null, timedOut: false, timer };
      this.pending = p;
      this.proc.stdin!.write(payload);
    });
  }

  stop(): void {
    this.killGroup('SIGTERM');
  }

  private killGroup(sig: NodeJS.Signals): void {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** Idle zygotes must not keep the daemon's event loop alive. */
  private idle(on: boolean): void {
    const streams = [this.proc.stdin, this.proc.stdout, this.proc.stderr] as ({
      ref?: () => void;
      unref?: () => void;
    } | null)[];
    if (on) this.proc.unref();
    else this.proc.ref();
    for (const s of streams) (on ? s?.unref : s?.ref)?.call(s);
  }

  /** Split finished commands off the output streams (the tag ends each one). */
  private scan(): void {
    const p = this.pending;
    if (!p) {
      this.out = this.out.slice(-this.tag.length);
      this.err = this.err.slice(-this.tag.length);
      return;
    }
    if (p.stdout === null) {
      const at = this.out.indexOf(this.tag);
      const nl = at < 0 ? -1 : this.out.indexOf('\n', at);
      if (nl >= 0) {
        p.stdout = this.out.slice(0, at).slice(0, p.job.maxStdout);
        p.code = Number(this.out.slice(at + this.tag.length, nl));
        this.out = this.out.slice(nl + 1);
      } else this.out = clip(this.out, p.job.maxStdout, this.tag.length + 8);
    }
    if (p.stderr === null) {
      const at = this.err.indexOf(this.tag);
      if (at >= 0 && this.err.length > at + this.tag.length) {
        p.stderr = this.err.slice(0, at).slice(0, p.job.maxStderr);
        this.err = this.err.slice(at + this.tag.length + 1);
      } else this.err = clip(this.err, p.job.maxStderr, this.tag.length + 1);
    }
    if (p.stdout !== null && p.stderr !== null) {
      this.finish({
        ok: p.code === 0 && !p.timedOut,
        code: p.code,
        signal: null,
        timedOut: p.timedOut,
        stdout: p.stdout,
        stderr: p.stderr,
      });
    }
  }

  private gone(signal: NodeJS.Signals | null): void {
    this.alive = false;
    const p = this.pending;
    if (!p) return;
    this.finish({
      ok: false,
      code: null,
      signal: signal ?? 'SIGKILL',
      timedOut: p.timedOut,
      stdout: p.stdout ?? this.out.slice(0, p.job.maxStdout),
      stderr: p.stderr ?? (this.err.slice(0, p.job.maxStderr) || 'shell exited'),
    });
  }

  private finish(r: RunResult): void {
    const p = this.pending!;
    clearTimeout(p.timer);
    if (p.killTimer) clearTimeout(p.killTimer);
    this.pending = null;
    if (this.alive) this.idle(true);
    p.resolve(r);
  }
}

/** Output beyond what is kept: the head for the log and a tail long enough to hold the tag. */
function clip(s: string, head: number, tail: number): string {
  return s.length > head + tail + 4096 ? s.slice(0, head) + s.slice(-tail) : s;
}

const pools = new Map<string, Zygote[]>();
const envIds = new WeakMap<NodeJS.ProcessEnv, number>();
let nextEnvId = 0;

function poolKey(prefix: readonly string[], env: NodeJS.ProcessEnv): string {
  // process.env can change under us (PATH in tests): key it by content, other objects by identity
  let e: string;
  if (env === process.env) e = JSON.stringify(env);
  else {
    let id = envIds.get(env);
    if (id === undefined) envIds.set(env, (id = ++nextEnvId));
    e = `#${String(id)}`;
  }
  return `${prefix.join('\0')}\0${e}`;
}

/**
 * Run `job` on an idle zygote for (prefix, env), starting one if fewer than MAX_ZYGOTES exist;
 * null when the job does not fit (payload too large) or all zygotes are busy.
 */
export function runOnZygote(
  job: ShellJob,
  prefix: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<RunResult> | null {
  if (job.script.includes('\0') || job.args.some((a) => a.includes('\0'))) return null;
  const payload = encodeRequest(job.script, job.args);
  if (payload.length > MAX_PAYLOAD) return null;
  const key = poolKey(prefix, env);
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = []));
  for (let i = pool.length - 1; i >= 0; i--) if (!pool[i]!.alive) pool.splice(i, 1);
  let z = pool.find((x) => !x.busy);
  if (!z) {
    if (pool.length >= MAX_ZYGOTES) return null;
    z = new Zygote(prefix, env);
    pool.push(z);
  }
  return z.run(job, payload);
}

/** Stop every zygote (tests; a daemon's zygotes end by themselves when it exits). */
export function stopZygotes(): void {
  for (const pool of pools.values()) for (const z of pool) z.stop();
  pools.clear();
}
