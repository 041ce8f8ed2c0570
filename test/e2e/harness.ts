import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/**
 * Runs the real, built daemon (`dist/`) in a temp root: its own config tree, log files, socket,
 * pid file, SQLite store and a recording action that appends `+ip`/`-ip` lines to a file
 * instead of touching a firewall. No root needed.
 */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'dist/src/cli/logjail.js');

export function built(): boolean {
  return existsSync(CLI);
}

export interface DaemonOptions {
  /** Extra jail.local text appended after the default test jail. */
  jailLocal?: string;
  /** Options of the default `test` jail, e.g. { maxretry: '3' }. */
  jail?: Record<string, string>;
}

/** A factory for DaemonRoots that are stopped and removed after each test of the calling file. */
export function daemonRoots(): (opts?: DaemonOptions) => DaemonRoot {
  const roots: DaemonRoot[] = [];
  afterEach(async () => {
    for (const r of roots.splice(0)) {
      await r.stop();
      r.cleanup();
    }
  });
  return (opts) => {
    const r = new DaemonRoot(opts);
    roots.push(r);
    return r;
  };
}

/** A config tree with one jail `test` reading `auth.log` with a simple filter. */
export class DaemonRoot {
  readonly dir: string;
  readonly conf: string;
  readonly sock: string;
  readonly pid: string;
  readonly db: string;
  readonly log: string;
  readonly record: string;
  readonly serverLog: string;
  proc: ChildProcess | null = null;
  stderr = '';

  constructor(opts: DaemonOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'ljd-'));
    this.conf = join(this.dir, 'conf');
    this.sock = join(this.dir, 'run/lj.sock');
    this.pid = join(this.dir, 'run/lj.pid');
    this.db = join(this.dir, 'lj.sqlite3');
    this.log = join(this.dir, 'auth.log');
    this.record = join(this.dir, 'actions.txt');
    this.serverLog = join(this.dir, 'server.log');
    mkdirSync(join(this.conf, 'filter.d'), { recursive: true });
    mkdirSync(join(this.conf, 'action.d'), { recursive: true });
    writeFileSync(this.log, '');
    writeFileSync(
      join(this.conf, 'fail2ban.conf'),
      `[Definition]\nloglevel = INFO\nlogtarget = ${this.serverLog}\nsocket = ${this.sock}\npidfile = ${this.pid}\ndbfile = ${this.db}\n`,
    );
    writeFileSync(
      join(this.conf, 'filter.d/testauth.conf'),
      `[Definition]\nfailregex = ^\\s*\\S+ sshd\\[\\d+\\]: Failed password for (?:invalid user )?<F-USER>\\S+</F-USER> from <HOST> port \\d+\nignoreregex =\n`,
    );
    writeFileSync(
      join(this.conf, 'action.d/record.conf'),
      [
        '[Definition]',
        'actionstart = echo "start <name>" >> <target>',
        'actionstop = echo "stop <name>" >> <target>',
        'actionban = echo "+<ip> <bantime> <F-USER>" >> <target>',
        'actionunban = echo "-<ip>" >> <target>',
        '[Init]',
        `target = ${this.record}`,
        '',
      ].join('\n'),
    );
    const jail = {
      enabled: 'true',
      filter: 'testauth',
      logpath: this.log,
      backend: 'auto',
      action: 'record',
      maxretry: '3',
      findtime: '10m',
      bantime: '10m',
      ignoreself: 'false',
      ...opts.jail,
    };
    writeFileSync(
      join(this.conf, 'jail.conf'),
      `[DEFAULT]\nbanaction = record\n\n[test]\n${Object.entries(jail)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n')}\n${opts.jailLocal ?? ''}\n`,
    );
  }

  writeConf(rel: string, text: string): void {
    writeFileSync(join(this.conf, rel), text);
  }

  async start(extra: string[] = []): Promise<void> {
    this.stderr = '';
    this.proc = spawn(process.execPath, [CLI, 'server', '-f', '-c', this.conf, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (d: string) => (this.stderr += d));
    this.proc.stdout!.resume();
    await waitFor(
      () => this.client(['ping']).stdout.includes('pong'),
      15_000,
      () => `server did not answer ping; stderr: ${this.stderr}`,
    );
  }

  client(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [CLI, 'client', '-c', this.conf, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  async stop(): Promise<void> {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const p = this.proc;
    const exited = new Promise<void>((r) =>
      p.once('exit', () => {
        r();
      }),
    );
    p.kill('SIGTERM');
    await exited;
  }

  kill9(): void {
    this.proc?.kill('SIGKILL');
  }

  /** Appends sshd-style failure lines stamped with the current time. */
  fail(ip: string, n = 1, user = 'root'): void {
    let text = '';
    for (let i = 0; i < n; i++)
      text += `${syslogNow()} host sshd[123]: Failed password for ${user} from ${ip} port 22 ssh2\n`;
    appendFileSync(this.log, text);
  }

  records(): string[] {
    return existsSync(this.record) ? readFileSync(this.record, 'utf8').split('\n').filter(Boolean) : [];
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function syslogNow(d = new Date()): string {
  const m = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
    d.getMonth()
  ]!;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${m} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export async function waitFor(
  cond: () => boolean,
  timeoutMs: number,
  what: string | (() => string),
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out: ${typeof what === 'string' ? what : what()}`);
}
