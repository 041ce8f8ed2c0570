import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './harness.js';
import { append, line, StockTree, stockUnavailable, STOCK, times } from './stock-tree.js';

/**
 * "Point logjail at an existing /etc/fail2ban tree and change nothing": a copy of the
 * distribution's own tree (Debian's fail2ban 1.0.2), plus only a jail.local and a
 * fail2ban.local as a user writes them, run by the real daemon and client. The stock filters
 * (sshd, dovecot, postfix), the jail defaults and the stock actions (dummy, and for root the
 * firewall ones inside a private network namespace) are used as shipped.
 */
const why = stockUnavailable();
const FAIL2BAN_CLIENT = '/usr/bin/fail2ban-client';

const sbin = (b: string): boolean => existsSync(`/usr/sbin/${b}`) || existsSync(`/sbin/${b}`);
const stockAction = (name: string): boolean => existsSync(`${STOCK}/action.d/${name}.conf`);
/** Why the firewall part cannot run here (needs root, the tools, the stock actions), or null. */
function firewallUnavailable(): string | null {
  if (why !== null) return why;
  if (process.getuid?.() !== 0) return 'needs root (network namespace, iptables)';
  const tool = ['ip', 'iptables', 'ip6tables', 'nft', 'ipset'].find((b) => !sbin(b));
  if (tool) return `missing tool: ${tool}`;
  const act = ['iptables-multiport', 'nftables-multiport', 'iptables-ipset-proto6'].find(
    (a) => !stockAction(a),
  );
  return act ? `stock tree lacks action.d/${act}.conf` : null;
}
const whyNoFirewall = firewallUnavailable();
const skipNote = (w: string | null): string => (w === null ? '' : ` [skipped: ${w}]`);
/** A ban is listed before its action has run: wait for the action's effect itself. */
const until = (cond: () => boolean, what: string): Promise<void> => waitFor(cond, 15_000, what);

describe.skipIf(why !== null)(`Debian stock tree: configuration check${skipNote(why)}`, () => {
  const t = why === null ? new StockTree() : null;
  afterAll(() => t?.cleanup());

  it('loads unchanged with a user jail.local: -t is OK, -d resolves the stock backend chain', () => {
    const s = t!;
    s.jailLocal(
      `[DEFAULT]\nbackend = polling\n\n[sshd]\nlogpath = ${s.authLog}\n\n[dovecot]\nenabled = true\nlogpath = ${s.mailLog}\n`,
    );
    const test = s.client('-t');
    expect(test, test.stderr).toMatchObject({ status: 0, stdout: 'OK: configuration test is successful\n' });
    // jail.d/defaults-debian.conf enables sshd; its backend is %(sshd_backend)s ->
    // %(default_backend)s -> %(default/backend)s, i.e. the DEFAULT of jail.local
    const dump = s.client('-d').stdout;
    const adds = dump.split('\n').filter((l) => l.startsWith("['add'"));
    expect(adds).toEqual(["['add', 'sshd', 'polling']", "['add', 'dovecot', 'polling']"]);
    expect(dump).toMatch(/^\['set', 'loglevel', /m);
    expect(dump).toMatch(/^\['start', 'dovecot'\]\n$/m);
    if (existsSync(FAIL2BAN_CLIENT)) {
      // fail2ban's own reader agrees on the same tree (config check only, nothing is started)
      const f2b = spawnSync(FAIL2BAN_CLIENT, ['-c', s.conf, '-t'], { encoding: 'utf8', timeout: 30_000 });
      expect(f2b.stdout + f2b.stderr).toContain('OK: configuration test is successful');
      const theirs = spawnSync(FAIL2BAN_CLIENT, ['-c', s.conf, '-d'], { encoding: 'utf8', timeout: 30_000 });
      // the whole stream, byte for byte
      expect(dump).toBe(theirs.stdout);
      // and the reader's warnings on stderr (allowipv6 unset in Debian's fail2ban.conf), from the
      // same logger, for -t as for -d
      const plain = (e: string): string => e.replace(/^\S+ \S+ /gm, '').replace(/\[\d+\]/g, '[pid]');
      expect(plain(test.stderr)).toBe(plain(f2b.stderr));
      expect(plain(s.client('-d').stderr)).toBe(plain(theirs.stderr));
      expect(plain(theirs.stderr)).toContain('fail2ban.configreader   [pid]: WARNING');
    }
  });
});

describe.skipIf(why !== null)(`Debian stock tree: stock filters + dummy action${skipNote(why)}`, () => {
  const t = why === null ? new StockTree() : null;
  const target = (jail: string): string[] => {
    const f = t!.runFile(`${jail}.dummy`);
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
  };

  beforeAll(async () => {
    const s = t!;
    // What a user adds: enable jails, point them at the logs, pick the stock dummy action.
    // maxretry, bantime, findtime and backend stay Debian's.
    s.jailLocal(
      ['sshd', 'dovecot', 'postfix']
        .map(
          (j) =>
            `[${j}]\nenabled = true\nlogpath = ${j === 'sshd' ? s.authLog : s.mailLog}\naction = dummy[target=${s.runFile(`${j}.dummy`)}]\n`,
        )
        .join('\n'),
    );
    await s.start();
  });
  afterAll(() => t?.cleanup());

  it('runs the enabled jails with the stock defaults and the dummy action', () => {
    const s = t!;
    expect(s.client('status').stdout).toBe(
      'Status\n|- Number of jail:\t3\n`- Jail list:\tdovecot, postfix, sshd\n',
    );
    expect(s.client('get', 'sshd', 'maxretry').stdout).toBe('5\n');
    expect(s.client('get', 'sshd', 'bantime').stdout).toBe('600\n');
    expect(s.client('get', 'sshd', 'findtime').stdout).toBe('600\n');
    expect(s.client('get', 'sshd', 'actions').stdout).toBe(
      'The jail sshd has the following actions:\ndummy\n',
    );
    expect(s.client('get', 'postfix', 'logpath').stdout).toBe(
      `Current monitored log file(s):\n\`- ${s.mailLog}\n`,
    );
    // actionstart of the stock dummy: touch the target and write <init>
    expect(target('sshd')).toEqual(['123']);
  });

  it("bans at Debian's maxretry (5) through the stock sshd filter", async () => {
    const s = t!;
    append(
      s.authLog,
      times(4, (i) => line.sshd('192.0.2.7', 'admin', 50000 + i)),
    );
    await new Promise((r) => setTimeout(r, 800));
    expect(target('sshd')).toEqual(['123']);
    append(s.authLog, [line.sshd('192.0.2.7', 'oracle')]);
    await s.waitBanned('sshd', '192.0.2.7');
    await until(() => target('sshd').length === 2, 'dummy actionban');
    expect(target('sshd')).toEqual(['123', '+192.0.2.7']);
    expect(s.client('status', 'sshd').stdout).toBe(
      [
        'Status for the jail: sshd',
        '|- Filter',
        '|  |- Currently failed:\t0',
        '|  |- Total failed:\t5',
        `|  \`- File list:\t${s.authLog}`,
        '`- Actions',
        '   |- Currently banned:\t1',
        '   |- Total banned:\t1',
        '   `- Banned IP list:\t192.0.2.7',
        '',
      ].join('\n'),
    );
    append(
      s.authLog,
      times(5, () => line.sshd('2001:db8::7')),
    );
    await s.waitBanned('sshd', '2001:db8::7');
    await until(() => target('sshd').length === 3, 'dummy actionban (IPv6)');
    expect(target('sshd')).toEqual(['123', '+192.0.2.7', '+2001:db8::7']);
  });

  it('dovecot and postfix share one mail log, each jail counts only its own lines', async () => {
    const s = t!;
    const lines: string[] = [];
    for (let i = 0; i < 5; i++)
      lines.push(line.dovecot('198.51.100.9', `u${i}`), line.postfix('203.0.113.5'));
    append(s.mailLog, lines);
    await s.waitBanned('dovecot', '198.51.100.9');
    await s.waitBanned('postfix', '203.0.113.5');
    await until(() => target('dovecot').length === 2 && target('postfix').length === 2, 'dummy actionban');
    expect(target('dovecot')).toEqual(['123', '+198.51.100.9']);
    expect(target('postfix')).toEqual(['123', '+203.0.113.5']);
    for (const j of ['dovecot', 'postfix']) {
      const st = s.client('status', j).stdout;
      expect(st).toContain('|  |- Total failed:\t5\n');
      expect(st).toContain('   |- Currently banned:\t1\n');
    }
  });

  it('banned / unban through the client, unban runs the stock actionunban', async () => {
    const s = t!;
    expect(s.client('banned').stdout).toBe(
      "[{'sshd': ['192.0.2.7', '2001:db8::7']}, {'postfix': ['203.0.113.5']}, {'dovecot': ['198.51.100.9']}]\n",
    );
    expect(s.client('banned', '198.51.100.9', '192.0.2.99').stdout).toBe("[['dovecot'], []]\n");
    expect(s.client('set', 'sshd', 'unbanip', '192.0.2.7')).toMatchObject({ status: 0, stdout: '1\n' });
    expect(target('sshd')).toEqual(['123', '+192.0.2.7', '+2001:db8::7', '-192.0.2.7']);
    expect(s.client('unban', '198.51.100.9').stdout).toBe('1\n');
    expect(target('dovecot')).toEqual(['123', '+198.51.100.9', '-198.51.100.9']);
    expect(s.client('get', 'sshd', 'banip').stdout).toBe('2001:db8::7\n');
    // stop: the stock actionstop removes the target file
    expect((await s.stop()).stdout).toBe('Shutdown successful\n');
    for (const j of ['sshd', 'dovecot', 'postfix']) expect(existsSync(s.runFile(`${j}.dummy`))).toBe(false);
  });
});

describe.skipIf(whyNoFirewall !== null)(
  `Debian stock tree: stock firewall actions in a network namespace${skipNote(whyNoFirewall)}`,
  () => {
    const ns = `lj-stock-${process.pid}`;
    const t = whyNoFirewall === null ? new StockTree() : null;
    const inNs = (...cmd: string[]): string =>
      execFileSync('ip', ['netns', 'exec', ns, ...cmd], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const ipt = (): string[] => inNs('iptables', '-S').trim().split('\n');
    const ip6t = (): string[] => inNs('ip6tables', '-S').trim().split('\n');
    const nftSet = (): string =>
      spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'set', 'inet', 'f2b-table', 'addr-set-dovecot'], {
        encoding: 'utf8',
      }).stdout;
    const hostRules = (): string =>
      spawnSync('nft', ['list', 'ruleset'], { encoding: 'utf8' }).stdout +
      spawnSync('ipset', ['list', '-n'], { encoding: 'utf8' }).stdout;
    let hostBefore = '';

    beforeAll(async () => {
      const s = t!;
      hostBefore = hostRules();
      spawnSync('ip', ['netns', 'del', ns]);
      execFileSync('ip', ['netns', 'add', ns]);
      // sshd keeps Debian's banaction (iptables-multiport); the others pick stock ones by name
      s.jailLocal(
        `[DEFAULT]\nbackend = polling\n\n[sshd]\nlogpath = ${s.authLog}\n\n` +
          `[dovecot]\nenabled = true\nlogpath = ${s.mailLog}\nbanaction = nftables-multiport\n\n` +
          `[postfix]\nenabled = true\nlogpath = ${s.mailLog}\nbanaction = iptables-ipset-proto6\n`,
      );
      await s.start(['ip', 'netns', 'exec', ns]);
    });

    afterAll(() => {
      t?.cleanup();
      spawnSync('ip', ['netns', 'del', ns]);
    });

    it("bans with Debian's iptables-multiport (IPv4 and IPv6)", async () => {
      const s = t!;
      expect(s.client('get', 'sshd', 'actions').stdout).toBe(
        'The jail sshd has the following actions:\niptables-multiport\n',
      );
      append(
        s.authLog,
        times(5, (i) => line.sshd('192.0.2.7', 'admin', 50000 + i)),
      );
      await s.waitBanned('sshd', '192.0.2.7');
      await until(() => ipt().some((r) => r.includes('192.0.2.7')), 'iptables rule');
      expect(ipt()).toEqual(
        expect.arrayContaining([
          '-N f2b-sshd',
          '-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd',
          '-A f2b-sshd -s 192.0.2.7/32 -j REJECT --reject-with icmp-port-unreachable',
          '-A f2b-sshd -j RETURN',
        ]),
      );
      append(
        s.authLog,
        times(5, () => line.sshd('2001:db8::7')),
      );
      await s.waitBanned('sshd', '2001:db8::7');
      await until(() => ip6t().some((r) => r.includes('2001:db8::7')), 'ip6tables rule');
      expect(ip6t()).toEqual(
        expect.arrayContaining([
          '-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd',
          '-A f2b-sshd -s 2001:db8::7/128 -j REJECT --reject-with icmp6-port-unreachable',
        ]),
      );
    });

    it("bans with Debian's nftables-multiport and iptables-ipset-proto6", async () => {
      const s = t!;
      const lines: string[] = [];
      for (let i = 0; i < 5; i++)
        lines.push(line.dovecot('198.51.100.9', `u${i}`), line.postfix('203.0.113.5'));
      append(s.mailLog, lines);
      await s.waitBanned('dovecot', '198.51.100.9');
      await s.waitBanned('postfix', '203.0.113.5');
      await until(
        () =>
          nftSet().includes('198.51.100.9') &&
          spawnSync('ip', ['netns', 'exec', ns, 'ipset', 'list', 'f2b-postfix'], {
            encoding: 'utf8',
          }).stdout.includes('203.0.113.5'),
        'nft set element and ipset member',
      );
      expect(inNs('nft', 'list', 'set', 'inet', 'f2b-table', 'addr-set-dovecot')).toContain('198.51.100.9');
      expect(inNs('nft', 'list', 'chain', 'inet', 'f2b-table', 'f2b-chain')).toMatch(
        /tcp dport \{ 110, 143, 465, 587, 993, 995, 4190 \} ip saddr @addr-set-dovecot reject/,
      );
      expect(inNs('ipset', 'list', 'f2b-postfix')).toMatch(/^203\.0\.113\.5 timeout 0$/m);
      expect(ipt()).toContain(
        '-A INPUT -p tcp -m multiport --dports 25,465,587 -m set --match-set f2b-postfix src -j REJECT --reject-with icmp-port-unreachable',
      );
    });

    it('unban and stop take every rule away again; the host firewall is untouched', async () => {
      const s = t!;
      expect(s.client('set', 'sshd', 'unbanip', '192.0.2.7').stdout).toBe('1\n');
      expect(ipt().filter((r) => r.includes('192.0.2.7'))).toEqual([]);
      expect(ipt()).toContain('-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd');
      expect(s.client('set', 'dovecot', 'unbanip', '198.51.100.9').stdout).toBe('1\n');
      expect(inNs('nft', 'list', 'set', 'inet', 'f2b-table', 'addr-set-dovecot')).not.toContain(
        '198.51.100.9',
      );
      expect((await s.stop()).stdout).toBe('Shutdown successful\n');
      expect(s.proc?.exitCode).toBe(0);
      expect(ipt().filter((r) => r.includes('f2b-'))).toEqual([]);
      expect(ip6t().filter((r) => r.includes('f2b-'))).toEqual([]);
      expect(inNs('nft', 'list', 'ruleset')).not.toContain('f2b-');
      expect(inNs('ipset', 'list', '-n').trim()).toBe('');
      expect(hostRules()).toBe(hostBefore);
    });
  },
);
