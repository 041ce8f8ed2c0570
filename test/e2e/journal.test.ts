import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askValue, statusValue, waitForAsync } from './daemon-tools.js';
import { built, CLI } from './harness.js';

/**
 * `backend = systemd` against a real systemd-journald: the test runs journald in a private mount
 * namespace (a tmpfs over /run and /var/log/journal: nothing of the host's touched), our server
 * in the same namespace, and writes sshd entries with systemd-cat. The jail reads them through
 * journalctl with the filter's journalmatch, bans, and after a restart resumes at the saved
 * cursor (no entry counted twice). Needs root, unshare/nsenter and journald (Debian: systemd).
 */
const JOURNALD = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find((p) => existsSync(p));
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ready =
  built() && process.getuid?.() === 0 && JOURNALD !== undefined && ['unshare', 'nsenter', 'journalctl', 'systemd-cat'].every(has);

describe.skipIf(!ready)('systemd backend with a real journald', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logjail-journal-'));
  const conf = join(dir, 'conf');
  const sock = join(dir, 'sock');
  const record = join(dir, 'bans');
  let ns: ChildProcess | null = null;
  const servers: ChildProcess[] = [];
  afterAll(() => {
    for (const p of servers) p.kill('SIGKILL');
    if (ns?.pid !== undefined) process.kill(-ns.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  spawnSync('mkdir', ['-p', join(conf, 'filter.d'), join(conf, 'action.d')]);
  writeFileSync(join(conf, 'fail2ban.conf'), `[Definition]\nloglevel = INFO\nlogtarget = ${join(dir, 'server.log')}\nsocket = ${sock}\npidfile = ${join(dir, 'pid')}\ndbfile = ${join(dir, 'db')}\n`);
  writeFileSync(
    join(conf, 'filter.d/jsshd.conf'),
    '[Definition]\nfailregex = ^\\S+ sshd\\[\\d+\\]: Failed password for \\S+ from <HOST> port \\d+\njournalmatch = SYSLOG_IDENTIFIER=sshd\n',
  );
  writeFileSync(join(conf, 'action.d/record.conf'), `[Definition]\nactionban = echo "+<ip> <failures>" >> ${record}\nactionunban = echo "-<ip>" >> ${record}\n`);
  writeFileSync(
    join(conf, 'jail.conf'),
    '[sshd]\nenabled = true\nbackend = systemd\nfilter = jsshd\naction = record\nmaxretry = 3\nfindtime = 10m\nbantime = 10m\nignoreself = false\n',
  );

  /** The namespace: tmpfs over journald's places, journald, then (as the same process) our server. */
  const startNamespace = (): void => {
    const script = [
      'set -e',
      // journald keeps its sockets in /run/systemd and its (volatile) files in /run/log
      'mount -t tmpfs tmpfs /run',
      'mkdir -p /run/systemd/journal',
      'if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi',
      `${JOURNALD!} >/dev/null 2>&1 &`,
      'while [ ! -S /run/systemd/journal/stdout ]; do sleep 0.05; done',
      'sleep infinity',
    ].join('\n');
    ns = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { detached: true, stdio: 'ignore' });
  };
  const inNs = (argv: string[], input?: string): void => {
    const r = spawnSync('nsenter', ['-t', String(ns!.pid), '-m', ...argv], { input, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
  };
  /** Our server inside the namespace, in the foreground (killed with the namespace at the end). */
  const startServer = async (): Promise<void> => {
    servers.push(spawn('nsenter', ['-t', String(ns!.pid), '-m', process.execPath, CLI, 'server', '-xf', '-c', conf], { stdio: 'ignore' }));
    await waitForAsync(async () => {
      try {
        return (await askValue(sock, ['ping'])) === 'pong';
      } catch {
        return false;
      }
    }, 20_000, 'server up');
  };
  const sshd = (ip: string, n: number): void => {
    const text = Array.from({ length: n }, (_, i) => `Failed password for root from ${ip} port ${String(4000 + i)} ssh2\n`).join('');
    inNs(['systemd-cat', '-t', 'sshd'], text);
  };
  const failed = async (): Promise<number> =>
    Number(statusValue(await askValue(sock, ['status', 'sshd']), 'Filter', 'Total failed'));

  beforeAll(async () => {
    startNamespace();
    await waitForAsync(() => spawnSync('nsenter', ['-t', String(ns!.pid), '-m', 'test', '-S', '/run/systemd/journal/stdout']).status === 0, 20_000, 'journald up');
  });

  it('reads journald through journalctl with the journalmatch, bans, and resumes at its cursor', async () => {
    await startServer();
    const status = await askValue(sock, ['status', 'sshd']);
    expect(statusValue(status, 'Filter', 'Journal matches')).toBe('SYSLOG_IDENTIFIER=sshd');
    sshd('198.51.100.20', 3);
    // another program's entry with the same text is outside the match
    inNs(['systemd-cat', '-t', 'notsshd'], 'Failed password for root from 198.51.100.21 port 1 ssh2\n');
    sshd('198.51.100.22', 1);
    await waitForAsync(() => existsSync(record) && readFileSync(record, 'utf8').includes('+198.51.100.20 3'), 20_000, 'ban from the journal');
    await waitForAsync(async () => (await failed()) === 4, 20_000, '4 failures counted');
    expect(await askValue(sock, ['get', 'sshd', 'banip'])).toEqual(['198.51.100.20']);
    // restart: the saved cursor means nothing is read twice, and a new entry still counts
    await askValue(sock, ['stop']);
    await waitForAsync(() => !existsSync(sock), 20_000, 'server stopped');
    await startServer();
    sshd('198.51.100.22', 1);
    await waitForAsync(async () => (await failed()) === 1, 20_000, 'only the new entry counted after the restart');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await failed()).toBe(1);
    expect(await askValue(sock, ['get', 'sshd', 'banip'])).toEqual(['198.51.100.20']);
    await askValue(sock, ['stop']);
  }, 120_000);

  it('fail2ban-regex systemd-journal: the filter\'s journalmatch (or -m), lines stamped by the journal', () => {
    inNs(['systemd-cat', '-t', 'sshd'], 'Failed password for root from 198.51.100.30 port 1 ssh2\nAccepted password for bob from 198.51.100.31 port 2 ssh2\n');
    inNs(['systemd-cat', '-t', 'other'], 'Failed password for root from 198.51.100.32 port 3 ssh2\n');
    const regex = (...args: string[]): { status: number | null; stdout: string } =>
      spawnSync('nsenter', ['-t', String(ns!.pid), '-m', process.execPath, CLI, 'regex', '-c', conf, ...args], { encoding: 'utf8', timeout: 60_000 });
    const report = regex('systemd-journal', 'jsshd');
    expect(report.status).toBe(0);
    expect(report.stdout).toContain('Use         systemd journal\nUse         encoding : UTF-8\nUse    journal match : SYSLOG_IDENTIFIER=sshd\n');
    // only sshd's entries: this test's two, and the earlier test's 3 + 1 + 1 failures
    expect(report.stdout).toMatch(/^Lines: 7 lines, 0 ignored, 6 matched, 1 missed$/m);
    const ips = regex('-o', 'ip', 'systemd-journal', 'jsshd').stdout.split('\n');
    expect(ips).toContain('198.51.100.30');
    expect(ips).not.toContain('198.51.100.32');
    // -m picks other entries; the time is the journal's (-o row prints it)
    const row = regex('-m', 'SYSLOG_IDENTIFIER=other', '-o', 'row', 'systemd-journal', 'from <HOST> port').stdout;
    const m = /^\['198\.51\.100\.32',\t(\d+\.\d+),\t/m.exec(row);
    expect(m, row).not.toBeNull();
    expect(Math.abs(Number(m![1]) - Date.now() / 1000)).toBeLessThan(120);
  });
});

if (!ready) it.skip('systemd backend with a real journald needs root, unshare, nsenter, journalctl, systemd-cat and systemd-journald', () => {});
