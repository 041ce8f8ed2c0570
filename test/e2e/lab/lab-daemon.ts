import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI, waitFor } from '../harness.js';
import type { Lab } from './lab.js';

/**
 * logjail's server inside a lab's server namespace (HOME carries msmtp's config, so sendmail
 * delivers to the lab's SMTP sink), and its client on the same config.
 */
export class LabDaemon {
  private proc: ChildProcess | null = null;
  /** What the server wrote on stderr since its last start. */
  stderr = '';

  constructor(
    private readonly lab: Lab,
    private readonly conf: string,
    private readonly home: string,
  ) {}

  client(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [CLI, 'client', '-c', this.conf, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null;
  }

  /** Starts the server and waits until it answers ping. */
  async start(): Promise<void> {
    this.stderr = '';
    const p = spawn(
      'ip',
      ['netns', 'exec', this.lab.ns.srv, process.execPath, CLI, 'server', '-f', '-x', '-c', this.conf],
      {
        env: { ...process.env, HOME: this.home },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.proc = p;
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (d: string) => (this.stderr += d));
    await waitFor(
      () => this.client('ping').stdout.includes('pong'),
      20_000,
      () => `daemon did not start: ${this.stderr}`,
    );
  }

  /** `client stop` (its output returned) and the server process's exit. */
  async stop(): Promise<string> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return '';
    const exited = new Promise<void>((r) => {
      p.once('exit', () => {
        r();
      });
    });
    const out = this.client('stop').stdout;
    await exited;
    return out;
  }

  kill(): void {
    if (this.running) this.proc!.kill('SIGTERM');
  }
}
