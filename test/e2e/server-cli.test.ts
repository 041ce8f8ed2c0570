import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { killForked, waitForAsync } from './daemon-tools.js';
import { built, CLI, daemonRoots } from './harness.js';

/**
 * `fail2ban-server`'s command line as fail2ban's packages use it: Debian's unit runs
 * `fail2ban-server -xf start` (clustered flags, a trailing command) and documents
 * `--logtarget=sysout`; without -f the server goes to the background, as fail2ban's does.
 */
const root = daemonRoots();
const server = (args: string[]): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, [CLI, 'server', ...args], { encoding: 'utf8', timeout: 30_000 });

describe.skipIf(!built())('fail2ban-server command line', () => {
  it("runs the unit's `-xf --logtarget=sysout start` in the foreground, logging without dates", async () => {
    const d = root();
    const p = spawn(process.execPath, [CLI, 'server', '-c', d.conf, '-xf', '--logtarget=sysout', 'start'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<number | null>((r) => {
      p.once('exit', (code) => {
        r(code);
      });
    });
    await waitForAsync(() => d.client(['ping']).stdout === 'Server replied: pong\n', 15_000, 'server up');
    expect(d.client(['status']).stdout).toContain('Jail list:\ttest');
    expect(d.client(['stop']).status).toBe(0);
    expect(await exited).toBe(0);
    expect(out.split('\n')[0]).toMatch(/^fail2ban\.server {9}\[\d+\]: INFO {4}-{50}$/);
    expect(out).toContain("fail2ban.jail           ");
    expect(out).toMatch(/Exiting Fail2ban\n$/);
  });

  it('goes to the background by default and answers there', async () => {
    const d = root();
    const r = server(['-c', d.conf]);
    expect(r.status).toBe(0);
    try {
      await waitForAsync(() => d.client(['ping']).stdout === 'Server replied: pong\n', 15_000, 'background server up');
    } finally {
      d.client(['stop']);
      killForked({ pid: d.pid, conf: d.conf });
    }
  });

  it('the client reads its options the same way (-vvv, --conf=DIR, -cDIR)', async () => {
    const d = root();
    await d.start();
    const client = (...args: string[]): string =>
      spawnSync(process.execPath, [CLI, 'client', ...args], { encoding: 'utf8', timeout: 30_000 }).stdout;
    expect(client(`--conf=${d.conf}`, '-vvq', 'ping')).toBe('Server replied: pong\n');
    expect(client(`-c${d.conf}`, 'get', 'test', 'maxretry')).toBe('3\n');
    const bad = spawnSync(process.execPath, [CLI, 'client', '-c', d.conf, '-vz', 'ping'], { encoding: 'utf8' });
    expect([bad.status, bad.stderr]).toEqual([255, 'ERROR: option -z not recognized (see --help)\n']);
  });

  it('-t, -d, -V, --str2sec; bad options and commands are one clear line and exit 255', () => {
    const d = root();
    const t = server(['-c', d.conf, '-t']);
    expect([t.status, t.stdout]).toEqual([0, 'OK: configuration test is successful\n']);
    const dump = server(['-c', d.conf, '-d']);
    expect(dump.status).toBe(0);
    expect(dump.stdout).toContain("['add', 'test', 'auto']\n");
    expect(server(['-V']).stdout).toBe('1.0.2\n');
    expect(server(['--str2sec', '1d12h']).stdout).toBe('129600\n');
    for (const [args, msg] of [
      [['-z'], 'ERROR: option -z not recognized (see --help)\n'],
      [['-c'], 'ERROR: option -c requires argument (see --help)\n'],
      [['-c', d.conf, '-f', 'status'], "ERROR: unknown command 'status': the server only starts (send commands with fail2ban-client)\n"],
    ] as const) {
      const r = server([...args]);
      expect([r.status, r.stderr], args.join(' ')).toEqual([255, msg]);
    }
  });
});
