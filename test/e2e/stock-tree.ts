import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { banned, waitForAsync } from './daemon-tools.js';
import { built, CLI, syslogNow, waitFor } from './harness.js';

/**
 * A copy of the distribution's own fail2ban tree (Debian's /etc/fail2ban) in a temp dir, with
 * only what a user adds: `fail2ban.local` (socket, pidfile, dbfile, logtarget here) and a
 * `jail.local`. The stock filters, actions and jail defaults are used as shipped.
 */
export const STOCK = process.env.LOGJAIL_STOCK_TREE ?? '/etc/fail2ban';

/** Why the stock-tree tests cannot run here, or null. */
export function stockUnavailable(): string | null {
  if (!built()) return 'run `npm run build` first';
  if (!existsSync(join(STOCK, 'jail.conf'))) return `no fail2ban tree at ${STOCK} (apt-get install fail2ban)`;
  return null;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class StockTree {
  readonly dir: string;
  readonly conf: string;
  readonly run: string;
  readonly sock: string;
  readonly authLog: string;
  readonly mailLog: string;
  readonly serverLog: string;
  proc: ChildProcess | null = null;
  stderr = '';

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'lj-stock-'));
    this.conf = join(this.dir, 'fail2ban');
    this.run = join(this.dir, 'run');
    this.sock = join(this.run, 'fail2ban.sock');
    this.authLog = join(this.dir, 'auth.log');
    this.mailLog = join(this.dir, 'mail.log');
    this.serverLog = join(this.run, 'fail2ban.log');
    cpSync(STOCK, this.conf, { recursive: true });
    mkdirSync(this.run, { recursive: true });
    writeFileSync(this.authLog, '');
    writeFileSync(this.mailLog, '');
    writeFileSync(
      join(this.conf, 'fail2ban.local'),
      `[Definition]\nlogtarget = ${this.serverLog}\nsocket = ${this.sock}\npidfile = ${join(this.run, 'fail2ban.pid')}\ndbfile = ${join(this.run, 'fail2ban.sqlite3')}\n`,
    );
  }

  /** Path of a file under the temp run dir (e.g. a dummy action's target). */
  runFile(name: string): string {
    return join(this.run, name);
  }

  jailLocal(text: string): void {
    writeFileSync(join(this.conf, 'jail.local'), text);
  }

  /** Starts `logjail server -f` on the tree; `wrap` prefixes the command (e.g. ip netns exec NS). */
  async start(wrap: string[] = []): Promise<void> {
    const argv = [...wrap, process.execPath, CLI, 'server', '-f', '-c', this.conf];
    this.proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (d: string) => (this.stderr += d));
    await waitFor(
      () => this.client('ping').stdout.includes('pong'),
      20_000,
      () => `daemon did not answer ping; stderr: ${this.stderr}`,
    );
  }

  client(...args: string[]): Run {
    const r = spawnSync(process.execPath, [CLI, 'client', '-c', this.conf, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Waits until `ip` is in the jail's ban list (polled in-process: cheaper than a client). */
  async waitBanned(jail: string, ip: string, timeoutMs = 15_000): Promise<void> {
    await waitForAsync(
      async () => (await banned(this.sock, jail))?.has(ip) === true,
      timeoutMs,
      () => `${ip} banned in ${jail}; status: ${this.client('status', jail).stdout}`,
    );
  }

  /** `client stop`, then waits for the process to exit. */
  async stop(): Promise<Run> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return { status: null, stdout: '', stderr: '' };
    const exited = new Promise<void>((r) =>
      p.once('exit', () => {
        r();
      }),
    );
    const out = this.client('stop');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    return out;
  }

  kill(): void {
    if (this.proc && this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }

  cleanup(): void {
    this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let sshdPid = 3140;

/**
 * Real-looking log lines in the formats Debian's stock filters expect, stamped now. Each sshd
 * line gets its own pid, as each connection has its own sshd process: the stock sshd filter
 * keys multi-line state on `host sshd[pid]:`, so a reused pid would merge two addresses
 * (fail2ban 1.0.2 does the same: the first address found on that connection wins).
 */
export const line = {
  sshd: (ip: string, user = 'admin', port = 50022): string =>
    `${syslogNow()} gw sshd[${++sshdPid}]: Failed password for invalid user ${user} from ${ip} port ${port} ssh2`,
  dovecot: (ip: string, user = 'bob'): string =>
    `${syslogNow()} mail dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<${user}>, method=PLAIN, rip=${ip}, lip=192.0.2.1, TLS, session=<Lx3Gb0Ao8LhWAd+x>`,
  postfix: (ip: string): string =>
    `${syslogNow()} mail postfix/smtpd[1938]: NOQUEUE: reject: RCPT from unknown[${ip}]: 554 5.7.1 <x@example.org>: Relay access denied; from=<a@example.com> to=<x@example.org> proto=ESMTP helo=<example.com>`,
};

export function append(file: string, lines: string[]): void {
  appendFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

export function times(n: number, f: (i: number) => string): string[] {
  return Array.from({ length: n }, (_, i) => f(i));
}
