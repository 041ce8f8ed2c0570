/**
 * Runs one command: `/bin/sh -c` (or a batch tool) in its own process group, with a timeout that
 * kills the whole group, output captured for the log. Never throws for a failing command.
 * Plain `sh -c` commands go to a pre-forked shell (shell-pool.ts) when one is free.
 */
import { spawn } from 'node:child_process';
import { ConfigError } from '../../core/errors.js';
import { runOnZygote } from './shell-pool.js';

export interface RunRequest {
  /** Program to start; `/bin/sh` unless a batch tool is run directly. */
  file?: string;
  args: string[];
  /** Seconds. */
  timeout: number;
  /** Written to the process's stdin (batches); stdin is /dev/null otherwise. */
  stdin?: string;
  /** Bytes of stdout kept (default: the runner's limit for logs). */
  maxOutput?: number;
}

export interface RunResult {
  ok: boolean;
  /** Exit status, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(req: RunRequest): Promise<RunResult>;
}

export interface ProcessRunnerOptions {
  /** Environment for children (PATH decides which `nft` runs). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** argv prefix for every child, e.g. `['ip', 'netns', 'exec', 'ns1']`. */
  prefix?: string[];
  /** Seconds between SIGTERM and SIGKILL after a timeout. */
  killGrace?: number;
  /** Bytes of stdout/stderr kept for the log. */
  maxOutput?: number;
  /** Run `sh -c` commands on a pre-forked shell (shell-pool.ts); default true. */
  zygote?: boolean;
}

export class ProcessRunner implements CommandRunner {
  constructor(private readonly opts: ProcessRunnerOptions = {}) {}

  run(req: RunRequest): Promise<RunResult> {
    const file = req.file ?? '/bin/sh';
    const prefix = this.opts.prefix ?? [];
    const [cmd, ...args] = prefix.length ? [...prefix, file, ...req.args] : [file, ...req.args];
    const logMax = this.opts.maxOutput ?? 64 * 1024;
    const limit = { stdout: req.maxOutput ?? logMax, stderr: logMax };
    const graceMs = (this.opts.killGrace ?? 1) * 1000;
    const a = req.args;
    if (
      this.opts.zygote !== false &&
      file === '/bin/sh' &&
      req.stdin === undefined &&
      a[0] === '-c' &&
      a.length >= 2 &&
      (a.length === 2 || a[2] === 'sh')
    ) {
      const env = this.opts.env ?? process.env;
      const job = {
        script: a[1]!,
        args: a.slice(3),
        timeout: req.timeout,
        graceMs,
        maxStdout: limit.stdout,
        maxStderr: limit.stderr,
      };
      const warm = runOnZygote(job, prefix, env);
      if (warm) return warm;
    }
    return new Promise((resolve) => {
      const out = { stdout: '', stderr: '' };
      let timedOut = false;
      let settled = false;
      const finish = (r: Omit<RunResult, 'ok' | 'stdout' | 'stderr' | 'timedOut'>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(killTimer);
        resolve({ ...r, ok: r.code === 0 && !timedOut, timedOut, ...out });
      };
      let child;
      try {
        child = spawn(cmd!, args, {
          detached: true, // own process group, so a timeout can kill everything it started
          stdio: [req.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
          env: this.opts.env ?? process.env,
        });
      } catch (e) {
        out.stderr = e instanceof Error ? e.message : String(e);
        finish({ code: 127, signal: null });
        return;
      }
      const pid = child.pid;
      const stdout = child.stdout!;
      const stderr = child.stderr!;
      const killGroup = (sig: NodeJS.Signals): void => {
        if (pid === undefined) return;
        try {
          process.kill(-pid, sig);
        } catch {
          /* group already gone */
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => {
          killGroup('SIGKILL');
        }, graceMs);
        killTimer.unref();
      }, req.timeout * 1000);
      const collect = (key: 'stdout' | 'stderr') => (chunk: Buffer) => {
        const max = limit[key];
        if (out[key].length < max) out[key] += chunk.toString('utf8').slice(0, max - out[key].length);
      };
      stdout.on('data', collect('stdout'));
      stderr.on('data', collect('stderr'));
      child.on('error', (e) => {
        out.stderr += e.message;
        finish({ code: 127, signal: null });
      });
      let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      child.on('exit', (code, signal) => {
        exited = { code, signal };
        // a background child may keep the pipes open: don't wait for it forever
        setTimeout(() => {
          stdout.destroy();
          stderr.destroy();
          finish({ code, signal });
        }, 200).unref();
        if (timedOut) killGroup('SIGKILL');
      });
      child.on('close', () => {
        if (exited) finish(exited);
      });
      if (req.stdin !== undefined && child.stdin) {
        child.stdin.on('error', () => {
          /* the tool may exit before reading everything; its status tells */
        });
        child.stdin.end(req.stdin);
      }
    });
  }
}

const UNITS: [RegExp, number][] = [
  [/^(?:years?|yea?|yy?)$/, 31557600],
  [/^(?:months?|mon?)$/, 2629800],
  [/^(?:weeks?|wee?|ww?)$/, 604800],
  [/^(?:days?|da|dd?)$/, 86400],
  [/^(?:hours?|hou?|hh?)$/, 3600],
  [/^(?:minutes?|min?|mm?)$/, 60],
  [/^(?:seconds?|sec?|ss?)$/, 1],
];

/** fail2ban time abbreviation (`60`, `1m`, `1h30m`, `2.5s`) → seconds, for the action `timeout`. */
export function parseDuration(text: string, key = 'timeout'): number {
  const s = text.trim().toLowerCase();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  let total = 0;
  let sign = 1;
  let pending: number | null = null;
  const flush = (): void => {
    if (pending !== null) total += sign * pending;
    pending = null;
    sign = 1;
  };
  for (const tok of s.match(/\d+(?:\.\d+)?|[a-z]+|[+-]|\S/g) ?? []) {
    if (/^\d/.test(tok)) {
      if (pending !== null) flush();
      pending = Number(tok);
    } else if (tok === '+' || tok === '-') {
      if (pending !== null) flush();
      sign = tok === '-' ? -1 : 1;
    } else {
      const unit = UNITS.find(([re]) => re.test(tok));
      if (!unit || pending === null) throw new ConfigError(`${key}: bad time value "${text}"`);
      pending *= unit[1];
    }
  }
  flush();
  if (!s) throw new ConfigError(`${key}: empty time value`);
  return total;
}
