import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killForked, waitForAsync, waitGone } from './daemon-tools.js';
import { built, CLI, DaemonRoot, ROOT } from './harness.js';

/**
 * Our client against our daemon, compared byte for byte with fail2ban-client 1.0.2's answers
 * (test/fixtures/fail2ban-client-1.0.2.txt, captured against a scratch server with jails sshd
 * and dovecot and the dummy action). The daemon runs the project's shipped config with the same
 * two jails, `dummy` writing into the temp root and the fixture's paths substituted.
 *
 * Deliberate differences (asserted as ours, listed in DIFFERENT):
 * - `status --all`: fail2ban 1.1's all-jails view; 1.0.2 took `--all` for a jail name.
 * - `set sshd bantime xyz`, `add sshd polling`: 1.0.2 leaked Python internals
 *   (`name 'xyz' is not defined`, `name 'noduplicates' is not defined`); we name the problem.
 */
interface Block {
  cmd: string;
  stdout: string;
  rc: number;
}

function fixtureBlocks(text: string): Block[] {
  const out: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.startsWith('$ ')) continue;
    const body: string[] = [];
    let j = i + 1;
    while (!/^rc=\d+$/.test(lines[j]!)) body.push(lines[j++]!);
    out.push({ cmd: l.slice(2), stdout: body.map((b) => `${b}\n`).join(''), rc: Number(lines[j]!.slice(3)) });
    i = j;
  }
  return out;
}

const DIFFERENT: Record<string, { stdout: string | RegExp; rc: number }> = {
  'status --all': {
    stdout:
      /^Status\n\|- Number of jail:\t2\n\|- Jail list:\tdovecot, sshd\n`- Status for the jails:\n {3}\|- Jail: dovecot\n/,
    rc: 0,
  },
  'set sshd bantime xyz': { stdout: /xyz/, rc: 255 },
  'add sshd polling': { stdout: /^The jail 'sshd' already exists\n$|^Invalid command\n$/, rc: 255 },
};

const roots: DaemonRoot[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) {
    await r.stop();
    killForked(r);
    r.cleanup();
  }
});

/** The shipped config with sshd + dovecot enabled on one log, `dummy` recording into the root. */
function fixtureRoot(): DaemonRoot {
  const d = new DaemonRoot();
  roots.push(d);
  rmSync(join(d.conf, 'jail.conf'));
  cpSync(join(ROOT, 'config'), d.conf, { recursive: true });
  d.writeConf(
    'fail2ban.local',
    `[Definition]\nlogtarget = ${d.serverLog}\nsocket = ${d.sock}\npidfile = ${d.pid}\ndbfile = ${d.db}\n`,
  );
  d.writeConf(
    'jail.local',
    [
      '[DEFAULT]',
      'ignoreip =',
      `action = dummy[target="${d.record}"]`,
      '',
      '[sshd]',
      'enabled = true',
      'backend = auto',
      `logpath = ${d.log}`,
      '',
      '[dovecot]',
      'enabled = true',
      'backend = auto',
      `logpath = ${d.log}`,
      '',
    ].join('\n'),
  );
  return d;
}

function client(d: DaemonRoot, args: string[]): { status: number | null; stdout: string; stderr: string } {
  return d.client(args);
}

describe.skipIf(!built())('client vs fail2ban-client 1.0.2', () => {
  it('replays the fixture: same stdout bytes and exit codes', async () => {
    const d = fixtureRoot();
    await d.start();
    const blocks = fixtureBlocks(readFileSync(join(ROOT, 'test/fixtures/fail2ban-client-1.0.2.txt'), 'utf8'));
    expect(blocks.length).toBeGreaterThan(50);
    const sub = (s: string): string =>
      s
        .replaceAll('/tmp/f2bs/auth.log', d.log)
        .replaceAll('/tmp/f2bs/run/db.sqlite3', d.db)
        .replaceAll('/tmp/f2bs/run/f2b.log', d.serverLog);
    const mismatches: string[] = [];
    for (const b of blocks) {
      const r = client(d, b.cmd.split(' '));
      const diff = DIFFERENT[b.cmd];
      const want = diff ? diff.stdout : sub(b.stdout);
      const rc = diff ? diff.rc : b.rc;
      if (diff)
        console.log(
          `differs from 1.0.2 on purpose: $ ${b.cmd} -> rc=${String(r.status)} ${JSON.stringify(r.stdout)}`,
        );
      const same = typeof want === 'string' ? r.stdout === want : want.test(r.stdout);
      if (!same || r.status !== rc)
        mismatches.push(
          `$ ${b.cmd}\n  want rc=${rc} ${JSON.stringify(want instanceof RegExp ? want.source : want)}\n  got  rc=${String(r.status)} ${JSON.stringify(r.stdout)} ${r.stderr.trim()}`,
        );
      // errors: one `ERROR   NOK: (…)` line on stderr, like fail2ban's log handler
      if (rc === 255) expect(r.stderr).toMatch(/ fail2ban {16}\[\d+\]: ERROR {3}NOK: \(.*,\)\n$/);
      if (b.cmd === 'stop') {
        await waitForAsync(() => d.proc?.exitCode !== null, 30_000, 'server exit after stop');
      }
    }
    expect(mismatches).toEqual([]);
    expect(d.proc?.exitCode).toBe(0);
    expect(existsSync(d.sock)).toBe(false);
  }, 600_000);

  it('`start` forks the server and waits for it, `stop` waits for a clean shutdown', async () => {
    const d = fixtureRoot();
    const start = client(d, ['-x', 'start']);
    expect(start).toMatchObject({ status: 0, stdout: 'Server ready\n' });
    const pid = Number(readFileSync(d.pid, 'utf8'));
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(client(d, ['ping']).stdout).toBe('Server replied: pong\n');
    expect(client(d, ['status']).stdout).toBe(
      'Status\n|- Number of jail:\t2\n`- Jail list:\tdovecot, sshd\n',
    );
    // a second start finds it running
    const again = client(d, ['start']);
    expect(again.status).toBe(255);
    expect(again.stderr).toMatch(/ERROR {3}.*already running/i);
    const stop = client(d, ['stop']);
    expect(stop).toMatchObject({ status: 0, stdout: 'Shutdown successful\n' });
    expect(existsSync(d.sock)).toBe(false);
    expect(existsSync(d.pid)).toBe(false);
    await waitGone(pid, 'server process gone after stop');
    expect(readFileSync(d.record, 'utf8')).toMatch(/^start (sshd|dovecot)\n/);
    expect(readFileSync(d.record, 'utf8')).toMatch(/stop sshd\n/);
  }, 120_000);

  it('a second server on the same socket fails and leaves the running one alone', async () => {
    const d = fixtureRoot();
    await d.start();
    const pid = readFileSync(d.pid, 'utf8');
    for (const extra of [[], ['-x']]) {
      const r = spawnSync(process.execPath, [CLI, 'server', '-f', '-c', d.conf, ...extra], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(255);
      expect(r.stderr).toMatch(/already running/);
      expect(existsSync(d.sock)).toBe(true);
      expect(readFileSync(d.pid, 'utf8')).toBe(pid);
      expect(client(d, ['ping']).stdout).toBe('Server replied: pong\n');
    }
  }, 120_000);

  it('-t, --str2sec, unknown options and a missing server', () => {
    const d = fixtureRoot();
    const t = client(d, ['-t']);
    expect(t, t.stderr).toMatchObject({ status: 0, stdout: 'OK: configuration test is successful\n' });
    expect(client(d, ['--str2sec', '1d12h'])).toMatchObject({ status: 0, stdout: '129600\n' });
    // `ping TIMEOUT` reads the timeout as Python's float() before anything else
    const ping = client(d, ['ping', 'extra']);
    expect(ping.status).toBe(255);
    expect(ping.stdout).toBe('');
    expect(ping.stderr).toMatch(/ ERROR {3}could not convert string to float: 'extra'\n$/);
    // a float stays one, as Python prints it
    expect(client(d, ['--str2sec', '1.5m'])).toMatchObject({ status: 0, stdout: '90.0\n' });
    expect(client(d, ['--str2sec', '1w 2d -3h 30m 15s'])).toMatchObject({
      status: 0,
      stdout: `${7 * 86400 + 2 * 86400 - 3 * 3600 + 30 * 60 + 15}\n`,
    });

    const unknown = client(d, ['--no-such-option', 'status']);
    expect(unknown.status).toBe(255);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/--no-such-option/);

    // a -c that does not exist is reported as fail2ban-client does, not replaced by the default socket
    for (const args of [['-c', '/nonexistent', 'status'], ['-c', '/nonexistent', '-t']]) {
      const r = spawnSync(process.execPath, [CLI, 'client', ...args], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(255);
      expect(r.stdout).toBe('ERROR: Base configuration directory /nonexistent does not exist \n');
      expect(r.stderr).toMatch(/ERROR {3}Init of command line failed\n$/);
    }

    const missing = client(d, ['status']);
    expect(missing.status).toBe(255);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} fail2ban {16}\\[\\d+\\]: ERROR {3}Failed to access socket path: ${d.sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\. Is fail2ban running\\?\n$`,
      ),
    );

    // a broken config: -t fails, naming file and line
    writeFileSync(
      join(d.conf, 'jail.local'),
      '[sshd]\nenabled = true\nfilter = nosuchfilter\nlogpath = /nonexistent\n',
    );
    const bad = client(d, ['-t']);
    expect(bad.status).toBe(255);
    expect(bad.stdout + bad.stderr).toMatch(/jail\.local:3/);
    expect(bad.stdout).not.toMatch(/successful/);

    // what only compiling finds (fail2ban 1.0.2 passes -t, then its server refuses the jail)
    for (const [failregex, why] of [
      ['^Failed (password for <HOST>$', /missing \), unterminated subpattern/],
      ['^Failed password for \\S+$', /No failure-id group/],
    ] as const) {
      writeFileSync(join(d.conf, 'filter.d/broken.conf'), `[Definition]\nfailregex = ${failregex}\n`);
      writeFileSync(join(d.conf, 'jail.local'), '[sshd]\nenabled = true\nfilter = broken\nlogpath = /nonexistent\n');
      const r = client(d, ['-t']);
      expect(r.status).toBe(255);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/filter\.d\/broken\.conf:2: /);
      expect(r.stderr).toMatch(why);
    }
  }, 120_000);
});
