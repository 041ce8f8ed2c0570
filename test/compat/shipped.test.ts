/**
 * logjail's own shipped configuration (config/): its filters against fail2ban's annotated
 * sample corpus and real lab lines, every file loads, and the firewall actions work against
 * real iptables / nft / ipset inside a network namespace this test creates.
 */
process.env.TZ = 'Europe/Zurich'; // the corpus expectations assume upstream's CET/CEST test zone

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchShape } from '../../src/actions/command/batch.js';
import { CommandAction } from '../../src/actions/command/command-action.js';
import { ProcessRunner } from '../../src/actions/command/runner.js';
import { StaticTags } from '../../src/actions/command/tags.js';
import { captureLog, jailStub, ticket } from '../../src/actions/command/test-helpers.js';
import { readAction, readConfig, readFilter } from '../../src/config/index.js';
import type { ActionDef } from '../../src/config/types.js';
import { fixedClock } from '../../src/core/clock.js';
import { Filter } from '../../src/filter/filter.js';
import { TEST_NOW, corpusDir } from './corpus.js';
import { runSample, unusedRegexes } from './shipped-samples.js';

const CONFIG = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config');
const LOGS = join(corpusDir(), 'tests', 'logs');
const HAVE_CORPUS = existsSync(LOGS);

/** Included building blocks, not filters of their own. */
const FILTER_HELPERS = new Set(['common', 'nginx-base', 'apache-base', 'web-probes']);
const confNames = (dir: string): string[] =>
  readdirSync(join(CONFIG, dir))
    .filter((f) => f.endsWith('.conf'))
    .map((f) => f.slice(0, -5))
    .sort();
const FILTERS = confNames('filter.d').filter((n) => !FILTER_HELPERS.has(n));
const ACTIONS = confNames('action.d').filter((n) => n !== 'sendmail-common');

function filterFor(name: string, opts: Record<string, string> = {}): Filter {
  return new Filter(readFilter(CONFIG, name, opts), {
    clock: fixedClock(TEST_NOW),
    mode: 'test',
    checkAll: true,
    usedns: 'raw',
  });
}

// ---------------------------------------------------------------------------------------------
// 1. fail2ban's sample corpus, with our filters

describe.skipIf(!HAVE_CORPUS)('shipped filters: fail2ban sample corpus', () => {
  const counts: string[] = [];
  afterAll(() => {
    if (counts.length) console.log(`shipped filters, sample line checks passed:\n  ${counts.join('\n  ')}`);
  });

  const withSamples = HAVE_CORPUS ? FILTERS.filter((n) => existsSync(join(LOGS, n))) : [];

  it('covers the filters the corpus has samples for', () => {
    expect(withSamples).toEqual(
      expect.arrayContaining([
        'sshd',
        'dovecot',
        'postfix',
        'exim',
        'courier-smtp',
        'nginx-http-auth',
        'nginx-botsearch',
        'apache-auth',
        'apache-badbots',
        'vsftpd',
        'pure-ftpd',
        'named-refused',
        'mysqld-auth',
      ]),
    );
  });

  for (const name of withSamples) {
    it(`${name}: every sample line passes and every failregex is exercised`, () => {
      const run = runSample(name, CONFIG, LOGS);
      const bad = run.outcomes.filter((o) => o.problems.length > 0);
      counts.push(`${name}: ${run.outcomes.length - bad.length}/${run.outcomes.length}`);
      expect(run.outcomes.length).toBeGreaterThan(0);
      expect(
        bad.map(
          (o) =>
            `${o.step.file}:${o.step.lineNo} ${JSON.stringify(o.step.filterOpts)}: ${o.problems.join('; ')}`,
        ),
      ).toEqual([]);
      expect(unusedRegexes(run)).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 2. lines real daemons wrote in the lab (Dovecot 2.3.19 with log_path, OpenSSH 9.2)

const DOVECOT_FAILURES: [string, string, string][] = [
  [
    'Nov 25 06:20:59 pop3-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 0 secs): user=<f2blab>, method=PLAIN, rip=198.51.100.2, lip=198.51.100.1, session=<UpSU1BNhAOrGM2QC>',
    '198.51.100.2',
    'f2blab',
  ],
  [
    'Nov 25 06:22:24 imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 1 secs): user=<f2blab>, method=PLAIN, rip=198.51.100.2, lip=198.51.100.1, session=<N+6g2RNhoqfGM2QC>',
    '198.51.100.2',
    'f2blab',
  ],
  [
    'Nov 25 06:22:25 pop3-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 0 secs): user=<nosuchuser>, method=PLAIN, rip=198.51.100.2, lip=198.51.100.1, session=</De52RNhQKrGM2QC>',
    '198.51.100.2',
    'nosuchuser',
  ],
  [
    'Nov 25 06:22:55 pop3-login: Info: Disconnected: Aborted login by logging out (tried to use disallowed plaintext auth): user=<>, method=PLAIN, rip=198.51.100.2, lip=198.51.100.10, session=<hoOL2xNhsOzGM2QC>',
    '198.51.100.2',
    '',
  ],
  [
    'Nov 25 06:22:55 imap-login: Info: Disconnected: Aborted login by logging out (tried to use disallowed plaintext auth): user=<>, method=PLAIN, rip=198.51.100.2, lip=198.51.100.10, session=<CEOM2xNhVIjGM2QC>',
    '198.51.100.2',
    '',
  ],
  [
    'Nov 25 06:37:41 f2blab-srv dovecot: pop3-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 1 secs): user=<f2blab>, method=PLAIN, rip=198.51.100.2, lip=198.51.100.1, session=<I1BHEBRhlqbGM2QC>',
    '198.51.100.2',
    'f2blab',
  ],
];
const DOVECOT_NOISE = [
  'Nov 25 06:37:24 pop3-login: Info: Disconnected: Connection closed (no auth attempts in 0 secs): user=<>, rip=198.51.100.2, lip=198.51.100.1, session=<0XNRDxRhuLfGM2QC>',
  'Nov 25 06:22:25 pop3-login: Info: Login: user=<f2blab>, method=PLAIN, rip=198.51.100.3, lip=198.51.100.1, mpid=23311, session=<atu/2RNh/JHGM2QD>',
];

const SSHD = {
  failed:
    'Nov 25 06:22:59 f2blab-srv sshd[23125]: Failed password for f2blab from 198.51.100.2 port 45006 ssh2',
  failedInvalid:
    'Nov 25 06:23:00 f2blab-srv sshd[23125]: Failed password for invalid user nosuchuser from 198.51.100.2 port 45026 ssh2',
  accepted:
    'Nov 25 06:23:00 f2blab-srv sshd[23125]: Accepted password for f2blab from 198.51.100.3 port 37674 ssh2',
  closedAuth:
    'Nov 25 06:22:59 f2blab-srv sshd[23125]: Connection closed by authenticating user f2blab 198.51.100.2 port 45006 [preauth]',
  kex: 'Nov 25 06:23:37 f2blab-srv sshd[24134]: kex_exchange_identification: Connection closed by remote host',
  closedProbe: 'Nov 25 06:23:37 f2blab-srv sshd[24134]: Connection closed by 198.51.100.2 port 33626',
};

describe('shipped filters: lines from the Dovecot 2.3 / OpenSSH 9.2 lab', () => {
  it.each(DOVECOT_FAILURES)('dovecot counts %s', (line, ip, user) => {
    const res = filterFor('dovecot').processLine(line);
    expect(res.failures.map((f) => [f.id, f.fields.user ?? ''])).toEqual([[ip, user]]);
  });

  it.each(DOVECOT_NOISE)('dovecot ignores %s', (line) => {
    expect(filterFor('dovecot').processLine(line).failures).toEqual([]);
  });

  it('dovecot aggressive mode counts the bare probe', () => {
    expect(
      filterFor('dovecot', { mode: 'aggressive' })
        .processLine(DOVECOT_NOISE[0]!)
        .failures.map((f) => f.id),
    ).toEqual(['198.51.100.2']);
  });

  it('sshd (normal) counts wrong passwords for known and unknown users', () => {
    const flt = filterFor('sshd');
    expect(flt.processLine(SSHD.failed).failures.map((f) => [f.id, f.fields.user])).toEqual([
      ['198.51.100.2', 'f2blab'],
    ]);
    expect(flt.processLine(SSHD.failedInvalid).failures.map((f) => [f.id, f.fields.user])).toEqual([
      ['198.51.100.2', 'nosuchuser'],
    ]);
  });

  it('sshd (normal) does not count accepted logins, preauth closes or probes', () => {
    for (const line of [SSHD.accepted, SSHD.closedAuth, SSHD.kex, SSHD.closedProbe]) {
      expect(filterFor('sshd').processLine(line).failures, line).toEqual([]);
    }
  });

  it('sshd ddos mode counts the banner-less probe once its address is known', () => {
    const flt = filterFor('sshd', { mode: 'ddos' });
    expect(flt.processLine(SSHD.kex).failures).toEqual([]);
    expect(flt.processLine(SSHD.closedProbe).failures.map((f) => f.id)).toEqual(['198.51.100.2']);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. everything loads

describe('shipped config loads', () => {
  it.each(FILTERS)('filter %s', (name) => {
    const def = readFilter(CONFIG, name);
    expect(def.failregex.length).toBeGreaterThan(0);
    expect(() => filterFor(name)).not.toThrow();
  });

  it.each(ACTIONS)('action %s', (name) => {
    const def = readAction(CONFIG, name, 'sshd');
    expect(def.options.actionban?.trim() ?? def.options.actionstart?.trim()).toBeTruthy();
  });

  it('every jail of jail.conf, enabled, resolves its filter and actions', () => {
    const cfg = readConfig(CONFIG, { jailOverrides: { '*': { enabled: 'true' } } });
    const jails = cfg.jails.filter((j) => j.enabled);
    expect(jails.map((j) => j.name)).toEqual(
      expect.arrayContaining(['sshd', 'dovecot', 'postfix', 'postfix-sasl', 'recidive']),
    );
    for (const j of jails) {
      expect(j.filter?.failregex.length, j.name).toBeGreaterThan(0);
      expect(j.actions.length, j.name).toBeGreaterThan(0);
    }
    expect(jails.find((j) => j.name === 'recidive')?.actions.map((a) => a.file)).toEqual([
      'iptables-allports',
    ]);
  });

  it('the mail action shortcuts of jail.conf resolve (action_mw, action_mwl)', () => {
    const cfg = readConfig(CONFIG, {
      jailOverrides: {
        sshd: { action: '%(action_mwl)s' },
        dovecot: { enabled: 'true', action: '%(action_mw)s' },
      },
      onlyEnabled: true,
    });
    expect(cfg.jails.find((j) => j.name === 'sshd')?.actions.map((a) => a.file)).toEqual([
      'iptables-multiport',
      'sendmail-whois-lines',
    ]);
    expect(cfg.jails.find((j) => j.name === 'dovecot')?.actions.map((a) => a.file)).toEqual([
      'iptables-multiport',
      'sendmail-whois',
    ]);
  });

  it.each(['nftables', 'nftables-multiport', 'nftables-allports', 'ipset', 'iptables-ipset'])(
    '%s bans and unbans in the batchable shape',
    (name) => {
      const def = readAction(CONFIG, name, 'sshd');
      const tags = new StaticTags(def.options, def.conditional);
      for (const fam of ['inet4', 'inet6'] as const) {
        for (const [op, verb] of [
          ['actionban', 'add'],
          ['actionunban', 'del'],
        ] as const) {
          expect(batchShape(tags.expand(tags.raw(op, fam) ?? '', fam))?.verb, `${op} ${fam}`).toBe(verb);
        }
      }
    },
  );

  it('iptables chains are f2b-<name>, or fail2ban-<name> on request', () => {
    expect(readAction(CONFIG, 'iptables-multiport', 'sshd').options.actionban).toBeDefined();
    const chain = (spec: string): string => {
      const d = readAction(CONFIG, spec, 'sshd');
      return d.options
        .bchain!.replace('<banprefix>', d.options.banprefix!)
        .replace('<name>', d.options.name!);
    };
    expect(chain('iptables-multiport')).toBe('f2b-sshd');
    expect(chain('iptables-multiport[banprefix=fail2ban]')).toBe('fail2ban-sshd');
  });
});

// ---------------------------------------------------------------------------------------------
// 4. mail actions, with stand-ins for sendmail / mail / whois

describe('shipped mail actions', () => {
  let dir: string;
  const fqdn = 'mx.example.org';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lj-ship-mail-'));
    const script = (name: string, body: string): void => {
      writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    };
    // whois without network: fails at once
    script('whois', 'exit 2');
    script('sendmail', `{ printf 'ARGS:'; printf ' [%s]' "$@"; echo; cat; echo '.'; } >> "${dir}/out"`);
    script('mail', `{ printf 'ARGS:'; printf ' [%s]' "$@"; echo; cat; echo '.'; } >> "${dir}/out"`);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function action(spec: string): CommandAction {
    const def: ActionDef = readAction(CONFIG, spec, 'sshd');
    if (def.options.mailcmd?.startsWith('/usr/sbin/sendmail'))
      def.options.mailcmd = def.options.mailcmd.replace('/usr/sbin/sendmail', join(dir, 'sendmail'));
    return new CommandAction(def, {
      jail: jailStub('sshd'),
      runner: new ProcessRunner({
        env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}` },
      }),
      lookups: { fqdn: () => Promise.resolve(fqdn) },
    });
  }
  const out = (): string => (existsSync(join(dir, 'out')) ? readFileSync(join(dir, 'out'), 'utf8') : '');

  it('sendmail-whois: subjects users filter on, and whois failure still mails', async () => {
    rmSync(join(dir, 'out'), { force: true });
    const act = action('sendmail-whois[dest=admin@example.org, sender=lj@example.org]');
    await act.start();
    expect(await act.ban(ticket({ id: '192.0.2.7', failures: 5 }))).toBe(true);
    await act.stop();
    const text = out();
    expect(text).toContain('ARGS: [-f] [lj@example.org] [admin@example.org]');
    expect(text).toContain(`Subject: [Fail2Ban] sshd: started on ${fqdn}\n`);
    expect(text).toContain(`Subject: [Fail2Ban] sshd: banned 192.0.2.7 from ${fqdn}\n`);
    expect(text).toContain(`Subject: [Fail2Ban] sshd: stopped on ${fqdn}\n`);
    expect(text).toMatch(/From: Fail2Ban <lj@example.org>\nTo: admin@example.org\n\n/);
    expect(text).toContain('after 5 attempts');
    expect(text).toContain('whois unavailable');
  });

  it('sendmail-whois-lines: log lines of the address; hostile ids stay data', async () => {
    rmSync(join(dir, 'out'), { force: true });
    const log = join(dir, 'auth.log');
    writeFileSync(
      log,
      'a Failed password for root from 192.0.2.8 port 1\nb other 192.0.2.80\nc Invalid user x from 192.0.2.8\n',
    );
    const act = action(`sendmail-whois-lines[logpath=${log}]`);
    expect(await act.ban(ticket({ id: '192.0.2.8' }))).toBe(true);
    expect(out()).toContain(
      'a Failed password for root from 192.0.2.8 port 1\nc Invalid user x from 192.0.2.8\n',
    );
    expect(out()).not.toContain('192.0.2.80');
    const pwned = join(dir, 'pwned');
    expect(await act.ban(ticket({ id: `x$(touch ${pwned})\`touch ${pwned}\``, ip: null }))).toBe(true);
    expect(existsSync(pwned)).toBe(false);
    expect(out()).toContain(`banned x$(touch ${pwned})`);
  });

  it('mail-whois: tilde escapes are switched off', async () => {
    rmSync(join(dir, 'out'), { force: true });
    const act = action('mail-whois[dest=admin@example.org]');
    expect(await act.ban(ticket({ id: '192.0.2.9' }))).toBe(true);
    expect(out()).toContain(
      `ARGS: [-E] [set escape] [-s] [[Fail2Ban] sshd: banned 192.0.2.9 from ${fqdn}] [admin@example.org]`,
    );
    expect(out()).toContain('whois unavailable');
  });
});

// ---------------------------------------------------------------------------------------------
// 5. firewall actions against the real tools, in a throw-away network namespace

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const FIREWALL = process.getuid?.() === 0 && ['ip', 'iptables', 'ip6tables', 'nft', 'ipset'].every(has);
const NS = `lj-ship-${process.pid}`;

describe.skipIf(!FIREWALL)('shipped firewall actions in a network namespace', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', NS]);
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', NS]);
  });

  /** Output of a command inside the namespace; null when it fails. */
  const inNs = (...args: string[]): string | null => {
    try {
      return execFileSync('ip', ['netns', 'exec', NS, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      return null;
    }
  };

  function action(spec: string): { act: CommandAction; log: string[] } {
    const log = captureLog();
    const act = new CommandAction(readAction(CONFIG, spec, 'sshd'), {
      jail: jailStub('sshd'),
      logger: log.logger,
      runner: new ProcessRunner({ prefix: ['ip', 'netns', 'exec', NS] }),
    });
    return { act, log: log.lines };
  }

  it('iptables-multiport: chain, jump, ban and unban (IPv4 + IPv6), stop', async () => {
    const { act, log } = action('iptables-multiport[port="22,143", protocol="tcp"]');
    await act.start();
    expect(await act.ban(ticket({ id: '192.0.2.10' }))).toBe(true);
    expect(await act.ban(ticket({ id: '2001:db8::10' }))).toBe(true);
    expect(inNs('iptables', '-S', 'INPUT')).toContain(
      '-A INPUT -p tcp -m multiport --dports 22,143 -j f2b-sshd',
    );
    expect(inNs('iptables', '-S', 'f2b-sshd')).toContain(
      '-A f2b-sshd -s 192.0.2.10/32 -j DROP',
    );
    expect(inNs('iptables', '-S', 'f2b-sshd')).toContain('-A f2b-sshd -j RETURN');
    expect(inNs('ip6tables', '-S', 'f2b-sshd')).toContain(
      '-A f2b-sshd -s 2001:db8::10/128 -j DROP',
    );
    expect(await act.unban(ticket({ id: '192.0.2.10' }))).toBe(true);
    expect(await act.unban(ticket({ id: '2001:db8::10' }))).toBe(true);
    expect(inNs('iptables', '-S', 'f2b-sshd')).not.toContain('192.0.2.10');
    expect(inNs('ip6tables', '-S', 'f2b-sshd')).not.toContain('2001:db8::10');
    await act.stop();
    expect(inNs('iptables', '-S', 'f2b-sshd')).toBeNull();
    expect(inNs('ip6tables', '-S', 'f2b-sshd')).toBeNull();
    expect(inNs('iptables', '-S', 'INPUT')).not.toContain('f2b-sshd');
    expect(log).toEqual([]);
  });

  it('iptables-allports with the old fail2ban-<name> chain name', async () => {
    const { act, log } = action('iptables-allports[banprefix=fail2ban, protocol=tcp]');
    expect(await act.ban(ticket({ id: '192.0.2.11' }))).toBe(true);
    expect(inNs('iptables', '-S', 'INPUT')).toContain('-A INPUT -p tcp -j fail2ban-sshd');
    expect(inNs('iptables', '-S', 'fail2ban-sshd')).toContain('-s 192.0.2.11/32');
    expect(await act.flush()).toBe(true);
    expect(inNs('iptables', '-S', 'fail2ban-sshd')).not.toContain('192.0.2.11');
    await act.stop();
    expect(inNs('iptables', '-S', 'fail2ban-sshd')).toBeNull();
    expect(log).toEqual([]);
  });

  it('nftables (multiport): table, sets, rules, single and batched bans, stop', async () => {
    const { act, log } = action('nftables[port="ssh,143,8000:8002"]');
    expect(await act.ban(ticket({ id: '192.0.2.20' }))).toBe(true);
    expect(await act.ban(ticket({ id: '2001:db8::20' }))).toBe(true);
    const chain = inNs('nft', 'list', 'chain', 'inet', 'f2b-table', 'f2b-chain') ?? '';
    expect(chain).toMatch(/tcp dport \{ 22, 143, 8000-8002 \} ip saddr @addr-set-sshd reject/);
    expect(chain).toMatch(/ip6 saddr @addr6-set-sshd reject/);
    expect(inNs('nft', 'list', 'set', 'inet', 'f2b-table', 'addr-set-sshd')).toContain('192.0.2.20');
    expect(inNs('nft', 'list', 'set', 'inet', 'f2b-table', 'addr6-set-sshd')).toContain('2001:db8::20');
    // many bans at once go through one `nft -f -`
    const many = ['192.0.2.21', '192.0.2.23', '192.0.2.25'].map((id) => ticket({ id }));
    expect(await act.banMany(many)).toEqual([true, true, true]);
    expect(inNs('nft', 'list', 'set', 'inet', 'f2b-table', 'addr-set-sshd')).toMatch(
      /192\.0\.2\.21.*192\.0\.2\.23.*192\.0\.2\.25|192\.0\.2\.25.*192\.0\.2\.23/s,
    );
    expect(await act.unbanMany(many)).toEqual([true, true, true]);
    expect(await act.unban(ticket({ id: '192.0.2.20' }))).toBe(true);
    expect(await act.unban(ticket({ id: '2001:db8::20' }))).toBe(true);
    expect(inNs('nft', 'list', 'set', 'inet', 'f2b-table', 'addr-set-sshd')).not.toMatch(/192\.0\.2\.2\d/);
    expect(inNs('nft', 'list', 'set', 'inet', 'f2b-table', 'addr6-set-sshd')).not.toContain('2001:db8::20');
    await act.stop();
    // (iptables-nft leaves its own empty `ip filter` tables from the tests above)
    expect(inNs('nft', 'list', 'table', 'inet', 'f2b-table')).toBeNull();
    expect(log).toEqual([]);
  });

  it('nftables-allports bans every port of the protocol', async () => {
    const { act, log } = action('nftables-allports[protocol="tcp,udp"]');
    expect(await act.ban(ticket({ id: '192.0.2.30' }))).toBe(true);
    const chain = inNs('nft', 'list', 'chain', 'inet', 'f2b-table', 'f2b-chain') ?? '';
    expect(chain).toMatch(/meta l4proto tcp ip saddr @addr-set-sshd reject/);
    expect(chain).toMatch(/meta l4proto udp ip saddr @addr-set-sshd reject/);
    await act.stop();
    // (iptables-nft leaves its own empty `ip filter` tables from the tests above)
    expect(inNs('nft', 'list', 'table', 'inet', 'f2b-table')).toBeNull();
    expect(log).toEqual([]);
  });

  it('ipset: set per family, single and batched bans, stop', async () => {
    const { act, log } = action('ipset');
    await act.start();
    expect(await act.ban(ticket({ id: '192.0.2.40' }))).toBe(true);
    expect(await act.ban(ticket({ id: '2001:db8::40' }))).toBe(true);
    expect(inNs('ipset', 'list', 'f2b-sshd')).toContain('192.0.2.40');
    expect(inNs('ipset', 'list', 'f2b-sshd6')).toContain('2001:db8::40');
    const many = ['192.0.2.41', '192.0.2.42', '192.0.2.43'].map((id) => ticket({ id }));
    expect(await act.banMany(many)).toEqual([true, true, true]);
    expect(inNs('ipset', 'list', 'f2b-sshd')).toMatch(/192\.0\.2\.43/);
    expect(await act.unbanMany(many)).toEqual([true, true, true]);
    expect(await act.unban(ticket({ id: '192.0.2.40' }))).toBe(true);
    expect(inNs('ipset', 'list', 'f2b-sshd')).not.toMatch(/192\.0\.2\.4\d/);
    await act.stop();
    expect(inNs('ipset', 'list', 'f2b-sshd')).toBeNull();
    expect(inNs('ipset', 'list', 'f2b-sshd6')).toBeNull();
    expect(log).toEqual([]);
  });

  it('iptables-ipset: one rule matching the set', async () => {
    const { act, log } = action('iptables-ipset[port=22]');
    expect(await act.ban(ticket({ id: '192.0.2.50' }))).toBe(true);
    expect(inNs('iptables', '-S', 'INPUT')).toContain(
      '-A INPUT -p tcp -m multiport --dports 22 -m set --match-set f2b-sshd src -j DROP',
    );
    expect(inNs('ipset', 'list', 'f2b-sshd')).toContain('192.0.2.50');
    await act.stop();
    expect(inNs('iptables', '-S', 'INPUT')).not.toContain('f2b-sshd');
    expect(inNs('ipset', 'list', 'f2b-sshd')).toBeNull();
    expect(log).toEqual([]);
  });

  it('route: blackhole route per ban', async () => {
    const { act, log } = action('route');
    expect(await act.ban(ticket({ id: '192.0.2.60' }))).toBe(true);
    expect(inNs('ip', 'route', 'show', 'type', 'blackhole')).toContain('192.0.2.60');
    expect(await act.unban(ticket({ id: '192.0.2.60' }))).toBe(true);
    expect(inNs('ip', 'route', 'show', 'type', 'blackhole')).not.toContain('192.0.2.60');
    expect(log).toEqual([]);
  });
});
