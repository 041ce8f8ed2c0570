import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killForked, waitGone } from './daemon-tools.js';
import { built, CLI, DaemonRoot, ROOT } from './harness.js';

/**
 * packaging/: install.sh into a staging root (never the real /etc), the systemd unit it writes,
 * and the SysV script's `status` (`logjail (pid N) is running...` + the status tree, exit 3 and
 * `logjail is stopped` when not running), `start` and `stop`.
 */
const INSTALL = join(ROOT, 'packaging/install.sh');
const INIT = join(ROOT, 'packaging/logjail.init');

const temps: string[] = [];
const roots: DaemonRoot[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) {
    await r.stop();
    killForked(r);
    r.cleanup();
  }
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function temp(): string {
  const t = mkdtempSync(join(tmpdir(), 'ljpkg-'));
  temps.push(t);
  return t;
}

function install(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', [INSTALL, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function init(d: DaemonRoot, cmd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', [INIT, cmd], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, LOGJAIL: `${process.execPath} ${CLI}`, LOGJAIL_CONF: d.conf },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built())('install.sh', () => {
  it('installs into a staging root: config, state dir, links, unit and SysV script', () => {
    const root = temp();
    const r = install(['--root', root, '--in-place', '--no-build', '--fail2ban-names']);
    expect(r.status, r.stderr).toBe(0);
    // configuration copied verbatim
    expect(readFileSync(join(root, 'etc/logjail/jail.conf'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'config/jail.conf'), 'utf8'),
    );
    expect(existsSync(join(root, 'etc/logjail/filter.d/sshd.conf'))).toBe(true);
    expect(statSync(join(root, 'var/lib/logjail')).mode & 0o777).toBe(0o700);
    // links to the build, runnable under their fail2ban names
    for (const [name, target] of [
      ['logjail', 'logjail.js'],
      ['fail2ban-client', 'fail2ban-client.js'],
      ['fail2ban-regex', 'fail2ban-regex.js'],
      ['fail2ban-server', 'fail2ban-server.js'],
    ] as const) {
      const l = join(root, 'usr/local/bin', name);
      expect(lstatSync(l).isSymbolicLink()).toBe(true);
      expect(readlinkSync(l)).toBe(join(ROOT, 'dist/src/cli', target));
    }
    const run = spawnSync(join(root, 'usr/local/bin/fail2ban-client'), ['--str2sec', '1d12h'], {
      encoding: 'utf8',
    });
    expect(run.stdout).toBe('129600\n');
    const line = 'Nov 25 06:20:59 srv sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2';
    const rx = spawnSync(
      join(root, 'usr/local/bin/fail2ban-regex'),
      [line, join(root, 'etc/logjail/filter.d/sshd.conf')],
      {
        encoding: 'utf8',
      },
    );
    expect(rx.stdout).toMatch(/Failregex: 1 total/);
    // the unit: paths substituted, the fail2ban shape
    const unit = readFileSync(join(root, 'etc/systemd/system/logjail.service'), 'utf8');
    expect(unit).not.toMatch(/@[A-Z]+@/);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/logjail server -f -x -c \/etc\/logjail$/m);
    expect(unit).toMatch(/^ExecReload=\/usr\/local\/bin\/logjail client -c \/etc\/logjail reload$/m);
    expect(unit).toMatch(/^ExecStop=\/usr\/local\/bin\/logjail client -c \/etc\/logjail stop$/m);
    expect(unit).toMatch(/^RuntimeDirectory=logjail$/m);
    expect(unit).toMatch(/^PIDFile=\/run\/logjail\/logjail\.pid$/m);
    // the pid file and socket the unit expects are the shipped config's
    const f2b = readFileSync(join(root, 'etc/logjail/fail2ban.conf'), 'utf8');
    expect(f2b).toMatch(/^pidfile = \/run\/logjail\/logjail\.pid$/m);
    expect(f2b).toMatch(/^socket = \/run\/logjail\/[^/\n]+$/m);
    const sysv = readFileSync(join(root, 'etc/init.d/logjail'), 'utf8');
    expect(sysv).toMatch(/^LOGJAIL=\$\{LOGJAIL:-\/usr\/local\/bin\/logjail\}$/m);
    expect(statSync(join(root, 'etc/init.d/logjail')).mode & 0o111).toBe(0o111);
    expect(spawnSync('sh', ['-n', join(root, 'etc/init.d/logjail')]).status).toBe(0);
    // log rotation of the server log, reopened by flushlogs through the installed command
    const rot = readFileSync(join(root, 'etc/logrotate.d/logjail'), 'utf8');
    expect(rot).not.toMatch(/@[A-Z]+@/);
    expect(rot).toMatch(/^\/var\/log\/logjail\.log \{$/m);
    expect(rot).toMatch(/^ {8}\/usr\/local\/bin\/logjail client -c \/etc\/logjail flushlogs /m);
    expect(f2b).toMatch(/^logtarget = \/var\/log\/logjail\.log$/m);
  });

  it('keeps an existing /etc/logjail and a real fail2ban-client; --prefix moves the links', () => {
    const root = temp();
    mkdirSync(join(root, 'etc/logjail'), { recursive: true });
    writeFileSync(join(root, 'etc/logjail/jail.local'), '[sshd]\nenabled = false\n');
    mkdirSync(join(root, 'opt/x/bin'), { recursive: true });
    writeFileSync(join(root, 'opt/x/bin/fail2ban-client'), '#!/bin/sh\necho real fail2ban\n');
    const r = install(['--root', root, '--in-place', '--no-build', '--fail2ban-names', '--prefix', '/opt/x']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/etc\/logjail exists; configuration left as it is/);
    expect(readFileSync(join(root, 'etc/logjail/jail.local'), 'utf8')).toBe('[sshd]\nenabled = false\n');
    expect(existsSync(join(root, 'etc/logjail/jail.conf'))).toBe(false);
    expect(readFileSync(join(root, 'opt/x/bin/fail2ban-client'), 'utf8')).toMatch(/real fail2ban/);
    expect(r.stdout).toMatch(/fail2ban-client exists and is not a link/);
    expect(lstatSync(join(root, 'opt/x/bin/logjail')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(root, 'usr/local/bin/logjail'))).toBe(false);
    expect(readFileSync(join(root, 'etc/systemd/system/logjail.service'), 'utf8')).toMatch(
      /^ExecStart=\/opt\/x\/bin\/logjail server -f -x -c \/etc\/logjail$/m,
    );
    // --force replaces it; running again is harmless
    expect(
      install([
        '--root',
        root,
        '--in-place',
        '--no-build',
        '--fail2ban-names',
        '--prefix',
        '/opt/x',
        '--force',
      ]).status,
    ).toBe(0);
    expect(lstatSync(join(root, 'opt/x/bin/fail2ban-client')).isSymbolicLink()).toBe(true);
  });

  it('--help prints the header only', () => {
    const r = install(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Install logjail on this machine\.\n/);
    expect(r.stdout).toMatch(/systemctl: used by the tests and for building packages\.\n$/);
  });

  it('rejects unknown options and relative paths', () => {
    const bad = install(['--bogus']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('install.sh: unknown option --bogus (see --help)\n');
    expect(install(['--prefix', 'relative/dir', '--root', temp()]).status).toBe(1);
  });
});

describe.skipIf(!built())('SysV script status / start / stop', () => {
  it('status: running (pid + tree), stopped (exit 3), dead with a stale pid file (exit 1)', async () => {
    const d = new DaemonRoot();
    roots.push(d);
    expect(init(d, 'status')).toMatchObject({ status: 3, stdout: 'logjail is stopped\n' });
    await d.start();
    expect(init(d, 'status')).toMatchObject({
      status: 0,
      stdout: `logjail (pid ${String(d.proc!.pid)}) is running...\nStatus\n|- Number of jail:\t1\n\`- Jail list:\ttest\n`,
    });
    const p = d.proc!;
    const exited = new Promise((r) => p.once('exit', r));
    d.kill9();
    await exited;
    d.proc = null; // gone for good: nothing for the cleanup to stop
    expect(existsSync(d.pid)).toBe(true);
    expect(init(d, 'status')).toMatchObject({ status: 1, stdout: 'logjail dead but pid file exists\n' });
  }, 120_000);

  it('start forks the daemon, stop ends it', async () => {
    const d = new DaemonRoot();
    roots.push(d);
    const start = init(d, 'start');
    expect(start, start.stderr).toMatchObject({ status: 0, stdout: 'Server ready\n' });
    const pid = Number(readFileSync(d.pid, 'utf8'));
    const st = init(d, 'status');
    expect(st.status, st.stdout + st.stderr).toBe(0);
    expect(st.stdout.split('\n')[0]).toBe(`logjail (pid ${String(pid)}) is running...`);
    expect(init(d, 'start')).toMatchObject({ status: 0, stdout: 'logjail is already running\n' });
    expect(init(d, 'reload')).toMatchObject({ status: 0, stdout: 'OK\n' });
    expect(init(d, 'stop')).toMatchObject({ status: 0, stdout: 'Shutdown successful\n' });
    await waitGone(pid, 'daemon gone');
    expect(init(d, 'status')).toMatchObject({ status: 3, stdout: 'logjail is stopped\n' });
    expect(init(d, 'stop')).toMatchObject({ status: 0, stdout: 'logjail is not running\n' });
  }, 120_000);
});
