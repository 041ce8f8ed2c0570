import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Our end-to-end lab: three network namespaces on a private bridge — a server running real
 * Dovecot (POP3 110, IMAP 143) and real OpenSSH sshd (22), an attacker and a good client.
 * All addresses are in 198.51.100.0/24 (documentation range) and exist only inside the
 * namespaces we create; nothing leaves them. The daemon under test runs in the server
 * namespace, so its firewall rules apply there and never touch the host.
 */
const HERE = fileURLToPath(new URL('.', import.meta.url));

export const LAB = {
  srv: '198.51.100.1',
  srvNoPlain: '198.51.100.10',
  att: '198.51.100.2',
  ok: '198.51.100.3',
  mailUser: 'ljlab',
  mailPass: 'LabPass-123',
  sshUser: 'ljlab',
  sshPass: 'LabPass-123',
  wrongPass: 'wrong-password',
} as const;

export type Peer = 'att' | 'ok';

/** Why the lab cannot run here, or null when it can. */
export function labUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const bin of [
    '/usr/sbin/dovecot',
    '/usr/sbin/sshd',
    '/usr/bin/sshpass',
    '/usr/sbin/ip',
    '/usr/sbin/iptables',
    '/usr/sbin/nft',
  ]) {
    if (!existsSync(bin) && !existsSync(bin.replace('/usr/sbin/', '/sbin/')))
      return `missing ${bin} (run scripts/test.sh as root to install)`;
  }
  const probeNs = `ljlab-probe-${process.pid}`;
  const probe = spawnSync('ip', ['netns', 'add', probeNs], { encoding: 'utf8' });
  if (probe.status !== 0) return `cannot create network namespaces: ${probe.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probeNs]);
  return null;
}

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export class Lab {
  readonly ns: { srv: string; att: string; ok: string };
  private readonly daemons: ChildProcess[] = [];

  constructor(
    readonly dir: string,
    prefix = 'ljlab',
  ) {
    this.ns = { srv: `${prefix}-srv`, att: `${prefix}-att`, ok: `${prefix}-ok` };
  }

  get maillog(): string {
    return join(this.dir, 'maillog');
  }
  get authlog(): string {
    return join(this.dir, 'auth.log');
  }

  /** Argv prefix that runs a command inside a namespace. */
  inNs(which: 'srv' | Peer, argv: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.ns[which], ...argv]];
  }

  execSrv(argv: string[], input?: string): string {
    const [c, a] = this.inNs('srv', argv);
    return sh(c, a, input);
  }

  up(): void {
    this.down();
    mkdirSync(this.dir, { recursive: true });
    chmodSync(this.dir, 0o755);
    const { srv, att, ok } = this.ns;
    for (const n of [srv, att, ok]) sh('ip', ['netns', 'add', n]);
    sh('ip', ['-n', srv, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', srv, 'addr', 'add', `${LAB.srv}/24`, 'dev', 'br0']);
    sh('ip', ['-n', srv, 'addr', 'add', `${LAB.srvNoPlain}/24`, 'dev', 'br0']);
    for (const [n, ip, peer] of [
      [att, LAB.att, 'v-att'],
      [ok, LAB.ok, 'v-ok'],
    ] as const) {
      sh('ip', [
        'link',
        'add',
        'name',
        'eth0',
        'netns',
        n,
        'type',
        'veth',
        'peer',
        'name',
        peer,
        'netns',
        srv,
      ]);
      sh('ip', ['-n', srv, 'link', 'set', peer, 'master', 'br0', 'up']);
      sh('ip', ['-n', n, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', n, 'link', 'set', 'eth0', 'up']);
    }
    for (const n of [srv, att, ok]) {
      sh('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
      spawnSync('ip', ['netns', 'exec', n, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    }
    sh('ip', ['-n', srv, 'link', 'set', 'br0', 'up']);
    for (const d of ['run', 'dovecot/state', 'ssh', 'mail', 'home', 'mails'])
      mkdirSync(join(this.dir, d), { recursive: true });
    for (const d of ['run', 'dovecot', 'ssh']) chmodSync(join(this.dir, d), 0o755);
    chownSync(join(this.dir, 'mail'), 65534, 65534);
    writeFileSync(this.maillog, '');
    writeFileSync(this.authlog, '');
    this.startDovecot();
    this.startSshd();
    for (const port of [110, 143, 22]) this.waitListen(port);
  }

  private startDovecot(): void {
    const d = this.dir;
    const users = join(d, 'dovecot/users');
    writeFileSync(users, `${LAB.mailUser}:{PLAIN}${LAB.mailPass}::::::\n`, { mode: 0o640 });
    spawnSync('chgrp', ['dovecot', users]);
    // Standalone config; /etc/dovecot is never read. The anvil auth penalty is disabled so
    // repeated failures from one address are answered quickly.
    const conf = `instance_name = ${this.ns.srv}-dovecot
base_dir = ${d}/run/dovecot
state_dir = ${d}/dovecot/state
protocols = imap pop3
listen = *
ssl = no
log_path = ${d}/maillog
info_log_path = ${d}/maillog
log_timestamp = "%b %d %H:%M:%S "
auth_failure_delay = 0 secs
auth_mechanisms = plain login
disable_plaintext_auth = no
local ${LAB.srvNoPlain} {
  disable_plaintext_auth = yes
}
mail_location = maildir:${d}/mail/%u
first_valid_uid = 100
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${users}
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=${d}/mail/%u
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3s {
    port = 0
  }
}
`;
    writeFileSync(join(d, 'dovecot/dovecot.conf'), conf);
    const r = spawnSync(
      'ip',
      ['netns', 'exec', this.ns.srv, 'dovecot', '-c', join(d, 'dovecot/dovecot.conf')],
      {
        stdio: 'ignore',
      },
    );
    if (r.status !== 0) throw new Error(`dovecot failed to start (see ${d}/maillog)`);
  }

  private startSshd(): void {
    const d = this.dir;
    const key = join(d, 'ssh/host_ed25519');
    rmSync(key, { force: true });
    rmSync(`${key}.pub`, { force: true });
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const hash = sh('perl', [
      '-e',
      'print crypt($ARGV[0], "\\$6\\$" . join("", map { ("a".."z")[rand 26] } 1..16) . "\\$")',
      LAB.sshPass,
    ]);
    // The lab user exists only in private copies of passwd/shadow, bind-mounted in sshd's own
    // mount namespace: no user is added to the host.
    const passwd = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith(`${LAB.sshUser}:`));
    passwd.push(`${LAB.sshUser}:x:64998:65534:logjail lab:${d}/home:/bin/sh`);
    const shadow = readFileSync('/etc/shadow', 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith(`${LAB.sshUser}:`));
    shadow.push(`${LAB.sshUser}:${hash}:${Math.floor(Date.now() / 86400000)}:0:99999:7:::`);
    writeFileSync(join(d, 'ssh/passwd'), `${passwd.join('\n')}\n`, { mode: 0o644 });
    writeFileSync(join(d, 'ssh/shadow'), `${shadow.join('\n')}\n`, { mode: 0o640 });
    writeFileSync(
      join(d, 'ssh/sshd_config'),
      `Port 22
ListenAddress 0.0.0.0
HostKey ${key}
PidFile ${d}/run/sshd.pid
LogLevel INFO
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
PermitRootLogin no
StrictModes no
UseDNS no
MaxStartups 100:30:200
LoginGraceTime 20
`,
    );
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
    // sshd -e logs to stderr without timestamps: a small stamper adds the syslog prefix
    // (`%b %e %H:%M:%S host sshd[pid]: `) as syslog would.
    const script = `#!/bin/bash
set -e
mount --bind ${d}/ssh/passwd /etc/passwd
mount --bind ${d}/ssh/shadow /etc/shadow
exec 2> >(while IFS= read -r l; do printf '%(%b %e %H:%M:%S)T ${this.ns.srv} sshd[%s]: %s\\n' -1 "$$" "\${l%$'\\r'}"; done >>${d}/auth.log)
exec /usr/sbin/sshd -D -e -f ${d}/ssh/sshd_config
`;
    writeFileSync(join(d, 'ssh/run-sshd.sh'), script, { mode: 0o755 });
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns.srv,
        'unshare',
        '--mount',
        '--propagation',
        'private',
        join(d, 'ssh/run-sshd.sh'),
      ],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    child.unref();
    this.daemons.push(child);
  }

  waitListen(port: number, timeoutMs = 10_000): void {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const out = spawnSync('ip', ['netns', 'exec', this.ns.srv, 'ss', '-Hltn', `sport = :${port}`], {
        encoding: 'utf8',
      });
      if (out.stdout.trim() !== '') return;
      spawnSync('sleep', ['0.05']);
    }
    throw new Error(`nothing listens on port ${port} in ${this.ns.srv}`);
  }

  /** Start the SMTP sink inside the server namespace on 127.0.0.1:port; mails land in dir/mails. */
  startSmtpSink(port: number): ChildProcess {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns.srv,
        process.execPath,
        join(HERE, 'smtp-sink.mjs'),
        String(port),
        join(this.dir, 'mails'),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    this.daemons.push(child);
    return child;
  }

  /**
   * Real sendmail (msmtp) for a daemon run with HOME = the lab dir, delivering to the SMTP sink
   * on the server's loopback, set up as an admin would: local names like `root` are qualified
   * through msmtp's aliases. Resolves once the sink listens.
   */
  async startMail(port: number): Promise<void> {
    const aliases = join(this.dir, 'aliases');
    writeFileSync(aliases, 'default: root@localhost\n');
    writeFileSync(
      join(this.dir, '.msmtprc'),
      `defaults\nauth off\ntls off\naliases ${aliases}\naccount default\nhost 127.0.0.1\nport ${port}\nfrom fail2ban@example.com\n`,
      { mode: 0o600 },
    );
    const sink = this.startSmtpSink(port);
    await new Promise<void>((r) => {
      sink.stdout!.once('data', () => {
        r();
      });
    });
  }

  /** One failed (or, with the right password, successful) mail login; resolves to the server's answer. */
  mailLogin(
    from: Peer,
    proto: 'pop3' | 'imap',
    opts: { user?: string; pass?: string; sasl?: boolean; noplain?: boolean } = {},
  ): string | null {
    const addr = opts.noplain ? LAB.srvNoPlain : LAB.srv;
    const style = opts.sasl || opts.noplain ? 'sasl' : 'login';
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        this.ns[from],
        process.execPath,
        join(HERE, 'mail-client.mjs'),
        addr,
        proto,
        style,
        opts.user ?? LAB.mailUser,
        opts.pass ?? LAB.wrongPass,
      ],
      { encoding: 'utf8', timeout: 15_000 },
    );
    return r.status === 0 ? r.stdout.trim() : null;
  }

  /**
   * One ssh password attempt; returns ssh's stderr+stdout. The user name goes through a config
   * file: ssh refuses shell metacharacters in user names given on its command line, and the
   * hostile-name tests need exactly those.
   */
  sshLogin(from: Peer, user: string, pass: string, command = 'true'): { status: number | null; out: string } {
    if (user.includes('"') || user.includes('\n'))
      throw new Error('user names with " or newlines cannot be sent');
    const cfg = join(this.dir, `ssh-client-${process.pid}.conf`);
    writeFileSync(
      cfg,
      [
        'Host lab',
        `  HostName ${LAB.srv}`,
        `  User "${user}"`,
        '  StrictHostKeyChecking no',
        '  UserKnownHostsFile /dev/null',
        '  GlobalKnownHostsFile /dev/null',
        '  PreferredAuthentications password',
        '  PubkeyAuthentication no',
        '  NumberOfPasswordPrompts 1',
        '  ConnectTimeout 3',
        '  LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        this.ns[from],
        'timeout',
        '15',
        'sshpass',
        '-p',
        pass,
        'ssh',
        '-F',
        cfg,
        '-T',
        'lab',
        command,
      ],
      {
        encoding: 'utf8',
      },
    );
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }

  /** Can `from` open a TCP connection to the server's port within 2 s? */
  probe(from: Peer, port: number, addr: string = LAB.srv): boolean {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', this.ns[from], 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${addr}/${port}`],
      {
        stdio: 'ignore',
      },
    );
    return r.status === 0;
  }

  down(): void {
    for (const c of this.daemons) if (c.pid !== undefined) spawnSync('kill', ['--', String(-c.pid)]);
    this.daemons.length = 0;
    for (const n of Object.values(this.ns)) {
      if (!existsSync(`/run/netns/${n}`)) continue;
      const pids = spawnSync('ip', ['netns', 'pids', n], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean);
      if (pids.length > 0) {
        spawnSync('kill', pids);
        spawnSync('sleep', ['0.3']);
        spawnSync('kill', ['-9', ...pids]);
      }
      spawnSync('ip', ['netns', 'del', n]);
    }
  }
}
