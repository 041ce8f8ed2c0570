import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForAsync } from './daemon-tools.js';
import { built, ROOT } from './harness.js';
import { boxMissing, SystemdBox } from './systemd-box.js';

/**
 * The service under a real systemd (PID 1 of a throwaway container, systemd-box.sh): our unit as
 * install.sh installs and enables it, and Debian's own fail2ban.service with our binaries in
 * place of fail2ban's. systemd starts, reloads, restarts after a crash and stops them; the
 * shipped config's sshd jail bans into the box's own iptables, and logrotate rotates its log.
 */
const missing = built() ? boxMissing() : 'needs a build (npm run build)';
const DEBIAN_UNIT = '/lib/systemd/system/fail2ban.service';

/** A syslog line stamped now, as sshd writes it to auth.log. */
function failure(ip: string, port: number): string {
  const d = new Date();
  const mon = d.toLocaleString('en-US', { month: 'short' });
  const time = d.toTimeString().slice(0, 8);
  return `${mon} ${String(d.getDate()).padStart(2, ' ')} ${time} box sshd[${String(port)}]: Failed password for root from ${ip} port ${String(port)} ssh2`;
}

/** Appends n sshd failures of ip to the box's /var/log/auth.log. */
function failIn(box: SystemdBox, ip: string, n: number): void {
  const lines = Array.from({ length: n }, (_, i) => failure(ip, 40000 + i)).join('\n');
  box.ok(`printf '%s\\n' '${lines.replaceAll('\n', "' '")}' >> /var/log/auth.log`);
}

/** The rules for ip in the sshd jail's chain (none when the chain is not there). */
function rulesIn(box: SystemdBox, ip: string): string[] {
  return box.run('iptables -S f2b-sshd').stdout.split('\n').filter((l) => l.includes(`-s ${ip}/32`));
}

/** install.sh as a user runs it: this checkout, already built. */
function installIn(box: SystemdBox): string {
  return box.ok(`sh ${JSON.stringify(`${ROOT}/packaging/install.sh`)} --in-place --no-build --fail2ban-names`, 120_000);
}

/** A box for the calling describe: booted before its tests, destroyed after them. */
function bootedBox(): SystemdBox {
  // the checkout, read-only in the box (it may be below /tmp, which the box replaces)
  const box = new SystemdBox([ROOT.replace(/\/$/, '')]);
  beforeAll(async () => {
    // what install.sh --in-place does to the checkout, done here: the box sees it read-only
    for (const f of readdirSync(join(ROOT, 'dist/src/cli'))) if (f.endsWith('.js')) chmodSync(join(ROOT, 'dist/src/cli', f), 0o755);
    await box.boot();
  }, 90_000);
  afterAll(async () => {
    await box.destroy();
  });
  return box;
}

describe.skipIf(missing !== null)(`services under a real systemd${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const box = bootedBox();

  const fail = (ip: string, n: number): void => {
    failIn(box, ip, n);
  };
  const rules = (ip: string): string[] => rulesIn(box, ip);
  const waitActive = async (unit: string, what: string): Promise<void> => {
    await waitForAsync(() => box.prop(unit, 'ActiveState') === 'active' && box.run('fail2ban-client ping').status === 0, 30_000, what);
  };

  let installed = '';
  /** install.sh as a user runs it (once per box): this checkout, already built. */
  const install = (): string => (installed ||= installIn(box));

  it('install.sh installs and enables logjail.service; systemd starts it on the shipped config', async () => {
    expect(install()).toContain('install.sh: enabled; start it with: systemctl start logjail');
    expect(box.ok('systemctl is-enabled logjail').trim()).toBe('enabled');
    box.ok('touch /var/log/auth.log && systemctl start logjail');
    await waitActive('logjail', 'logjail.service active and answering');
    const main = box.prop('logjail', 'MainPID');
    expect(box.ok('cat /run/logjail/logjail.pid').trim()).toBe(main);
    expect(box.ok('stat -c %a /run/logjail').trim()).toBe('700');
    expect(box.ok('stat -c %a /run/logjail/logjail.sock').trim()).toBe('600');
    expect(box.ok('fail2ban-client status')).toBe('Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n');
  }, 150_000);

  it('bans into the box firewall; reload keeps the process and the ban', async () => {
    fail('192.0.2.10', 6);
    await waitForAsync(() => rules('192.0.2.10').length === 1, 30_000, 'ban rule for 192.0.2.10');
    const main = box.prop('logjail', 'MainPID');
    box.ok('systemctl reload logjail');
    expect(box.prop('logjail', 'MainPID')).toBe(main);
    expect(box.prop('logjail', 'ActiveState')).toBe('active');
    await waitForAsync(() => box.ok('tail -n 20 /var/log/logjail.log').includes("Jail 'sshd' reloaded"), 20_000, 'reload in the server log');
    expect(rules('192.0.2.10')).toHaveLength(1);
    expect(box.ok('fail2ban-client status sshd')).toContain('Banned IP list:\t192.0.2.10');
  }, 60_000);

  it('a broken jail.local: systemctl reload fails naming file:line; the server runs on with its ban', () => {
    box.ok("printf '[sshd]\\nmaxretry = lots\\n' > /etc/logjail/jail.local");
    const main = box.prop('logjail', 'MainPID');
    const r = box.run('systemctl reload logjail');
    expect(r.status).not.toBe(0);
    const journal = box.ok('journalctl -u logjail --no-pager -o cat');
    expect(journal).toMatch(/\/etc\/logjail\/jail\.local:2\b.*maxretry/);
    expect(box.prop('logjail', 'ActiveState')).toBe('active');
    expect(box.prop('logjail', 'MainPID')).toBe(main);
    expect(rules('192.0.2.10')).toHaveLength(1);
    box.ok('rm /etc/logjail/jail.local && systemctl reload logjail');
  }, 60_000);

  it.skipIf(!existsSync('/usr/sbin/logrotate'))('logrotate (the installed rules) rotates the server log; the server writes on in the new file', async () => {
    expect(box.ok('cat /etc/logrotate.d/logjail')).toContain('/var/log/logjail.log {');
    box.ok('logrotate -f /etc/logrotate.d/logjail');
    expect(box.ok('cat /var/log/logjail.log.1')).toContain('Ban 192.0.2.10');
    expect(box.ok('stat -c "%a %U %G" /var/log/logjail.log').trim()).toBe('640 root adm');
    fail('192.0.2.11', 6);
    await waitForAsync(() => box.ok('cat /var/log/logjail.log').includes('Ban 192.0.2.11'), 30_000, 'the next ban in the new log');
    expect(box.ok('cat /var/log/logjail.log.1')).not.toContain('192.0.2.11');
  }, 60_000);

  it('a killed server is restarted by systemd (Restart=on-failure) with its ban restored once', async () => {
    const before = box.prop('logjail', 'MainPID');
    expect(before).not.toBe('0');
    box.ok('systemctl kill --signal=SIGKILL --kill-whom=main logjail');
    await waitForAsync(
      () => box.prop('logjail', 'NRestarts') === '1' && box.prop('logjail', 'MainPID') !== before,
      30_000,
      'restart after kill -9',
    );
    await waitActive('logjail', 'restarted logjail answering');
    await waitForAsync(() => box.run('fail2ban-client status sshd').stdout.includes('192.0.2.10'), 20_000, 'ban restored');
    // the rule the killed server left is flushed before the ban is restored (1.0.2 adds a second one)
    expect(rules('192.0.2.10')).toHaveLength(1);
    expect(box.ok('grep -c "was not stopped by the last server" /var/log/logjail.log').trim()).toBe('1');
    // that was about the killed server: a reload restarts nothing of it
    box.ok('systemctl reload logjail');
    expect(box.ok('grep -c "was not stopped by the last server" /var/log/logjail.log').trim()).toBe('1');
    expect(rules('192.0.2.10')).toHaveLength(1);
  }, 60_000);

  it('systemctl stop: a clean stop that removes the chain', () => {
    box.ok('systemctl stop logjail', 60_000);
    expect(box.prop('logjail', 'ActiveState')).toBe('inactive');
    expect(box.prop('logjail', 'Result')).toBe('success');
    expect(box.run('iptables -S f2b-sshd').status).not.toBe(0);
    expect(box.ok('tail -n 5 /var/log/logjail.log')).toContain('Exiting Fail2ban');
  }, 90_000);

  it('a broken config at start: the unit fails with exit 255, no restart loop, the journal names file:line', async () => {
    box.ok("printf '[sshd]\\nmaxretry = lots\\n' > /etc/logjail/jail.local && systemctl start logjail");
    await waitForAsync(() => box.prop('logjail', 'ActiveState') === 'failed', 30_000, 'logjail.service failed');
    expect(box.prop('logjail', 'ExecMainStatus')).toBe('255');
    expect(box.prop('logjail', 'NRestarts')).toBe('0');
    expect(box.ok('journalctl -u logjail --no-pager -o cat')).toMatch(/\/etc\/logjail\/jail\.local:2\b.*maxretry/);
    box.ok('rm /etc/logjail/jail.local && systemctl reset-failed logjail');
  }, 60_000);

  it.skipIf(!existsSync(DEBIAN_UNIT))("Debian's fail2ban.service runs logjail as fail2ban-server", async () => {
    // what a user who swaps the binaries and keeps the distribution's unit and /etc/fail2ban has
    install();
    // a fail2ban user's machine: fail2ban's tree, no /etc/logjail (the default is then /etc/fail2ban)
    box.ok('systemctl disable --now logjail && rm -rf /etc/logjail && touch /var/log/auth.log');
    box.ok('ln -sfn /usr/local/bin/fail2ban-server /usr/bin/fail2ban-server && ln -sfn /usr/local/bin/fail2ban-client /usr/bin/fail2ban-client');
    box.ok('systemctl daemon-reload && systemctl start fail2ban');
    await waitForAsync(
      () => box.prop('fail2ban', 'ActiveState') === 'active' && box.run('fail2ban-client -c /etc/fail2ban ping').status === 0,
      30_000,
      () => `fail2ban.service active: ${box.run('systemctl status fail2ban --no-pager -n 20; fail2ban-client -c /etc/fail2ban ping; tail -n 5 /var/log/fail2ban.log').stdout}`,
    );
    const main = box.prop('fail2ban', 'MainPID');
    expect(box.ok(`cat /proc/${main}/cmdline`).split('\0')).toContain('/usr/bin/fail2ban-server');
    expect(box.ok('cat /run/fail2ban/fail2ban.pid').trim()).toBe(main);
    expect(box.ok('fail2ban-client -c /etc/fail2ban status')).toMatch(/^Status\n\|- Number of jail:\t\d+\n`- Jail list:\t.*sshd/);
    fail('198.51.100.7', 6);
    await waitForAsync(() => rules('198.51.100.7').length === 1, 30_000, 'ban by the Debian config');
    box.ok('systemctl reload fail2ban');
    expect(box.prop('fail2ban', 'MainPID')).toBe(main);
    box.ok('systemctl stop fail2ban', 60_000);
    expect(box.prop('fail2ban', 'ActiveState')).toBe('inactive');
    expect(box.prop('fail2ban', 'Result')).toBe('success');
    expect(box.run('iptables -S f2b-sshd').status).not.toBe(0);
  }, 120_000);
});

describe.skipIf(missing !== null || !existsSync(DEBIAN_UNIT))('replacing a running fail2ban 1.0.2 under systemd (README recipe)', () => {
  const box = bootedBox();

  it("takes over fail2ban's tree, bans (from its database) and log position", async () => {
    // Debian's fail2ban, as installed: its unit, /etc/fail2ban, its database; it bans an address
    box.ok('touch /var/log/auth.log && systemctl start fail2ban');
    await waitForAsync(() => box.run('/usr/bin/fail2ban-client ping').status === 0, 60_000, 'fail2ban 1.0.2 up');
    failIn(box, '203.0.113.5', 6);
    await waitForAsync(() => rulesIn(box, '203.0.113.5').length === 1, 60_000, 'banned by fail2ban 1.0.2');
    // the recipe: stop fail2ban, copy its tree to /etc/logjail, install, start
    box.ok('systemctl disable --now fail2ban', 60_000);
    expect(rulesIn(box, '203.0.113.5')).toEqual([]);
    box.ok('cp -a /etc/fail2ban /etc/logjail');
    expect(installIn(box)).toContain('/etc/logjail exists; configuration left as it is');
    box.ok('systemctl start logjail');
    await waitForAsync(
      () => box.prop('logjail', 'ActiveState') === 'active' && box.run('fail2ban-client ping').status === 0,
      30_000,
      'logjail.service on the fail2ban tree',
    );
    // the ban comes back from fail2ban's own database, once
    await waitForAsync(() => rulesIn(box, '203.0.113.5').length === 1, 30_000, "fail2ban's ban restored");
    const status = box.ok('fail2ban-client status sshd');
    expect(status).toContain('Banned IP list:\t203.0.113.5');
    // the lines fail2ban already read are not counted again: its saved position is resumed
    expect(status).toContain('|- Total failed:\t0\n');
    failIn(box, '203.0.113.6', 6);
    await waitForAsync(() => rulesIn(box, '203.0.113.6').length === 1, 30_000, 'a new ban by logjail');
    expect(box.ok('fail2ban-client status sshd')).toContain('|- Total failed:\t6\n');
    box.ok('systemctl stop logjail', 60_000);
    expect(box.prop('logjail', 'Result')).toBe('success');
  }, 180_000);
});
