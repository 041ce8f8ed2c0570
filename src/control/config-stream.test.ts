import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../config/index.js';
import { configStream, formatStream } from './config-stream.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ljstream-'));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

async function dump(dir: string): Promise<{ lines: string[]; warnings: string[] }> {
  const warnings: string[] = [];
  const s = await configStream(readConfig(dir), { warn: (m) => warnings.push(m) });
  return { lines: formatStream(s).trimEnd().split('\n'), warnings };
}

describe('config stream (fail2ban-client -d)', () => {
  it('orders global, filter, jail, logpath and action commands as fail2ban does, with its types', async () => {
    const dir = tree({
      'fail2ban.conf':
        '[Definition]\nloglevel = INFO\nlogtarget = STDOUT\ndbpurgeage = 1d\ndbmaxmatches = 3\n',
      'filter.d/f.conf':
        '[Definition]\nprefregex = ^<F-CONTENT>.+</F-CONTENT>$\nfailregex = ^bad <HOST>$\n  ^worse <HOST>$\nignoreregex =\ndatepattern = {^LN-BEG}\n[Init]\nmaxlines = 2\njournalmatch = _COMM=x + "_A=b c"\n',
      'action.d/a.conf':
        '[Definition]\nactionban = <cmd> <ip> <where>\nactionunban = <cmd> -<ip>\nnorestored = yes\n[Init]\ncmd = run <name>\nwhere = v4\n[Init?family=inet6]\nwhere = v6\n',
    });
    writeFileSync(join(dir, 'j.log'), '');
    writeFileSync(
      join(dir, 'jail.conf'),
      `[DEFAULT]\nusedns = no\n\n[j]\nenabled = true\nfilter = f\nlogpath = ${join(dir, 'j.log')} tail\n  ${join(dir, 'none-*.log')}\nmaxretry = 4\nignoreip = 10.0.0.1, 10.0.0.2\nignoreself = off\naction = a[port=22]\n`,
    );
    const { lines, warnings } = await dump(dir);
    expect(lines).toEqual([
      "['set', 'syslogsocket', 'auto']",
      "['set', 'loglevel', 'INFO']",
      "['set', 'logtarget', 'STDOUT']",
      "['set', 'allowipv6', 'auto']",
      "['set', 'dbfile', '/var/lib/fail2ban/fail2ban.sqlite3']",
      "['set', 'dbmaxmatches', 3]",
      "['set', 'dbpurgeage', '1d']",
      "['add', 'j', 'auto']",
      "['set', 'j', 'usedns', 'no']",
      "['set', 'j', 'prefregex', '^<F-CONTENT>.+</F-CONTENT>$']",
      "['set', 'j', 'maxlines', 2]",
      "['multi-set', 'j', 'addfailregex', ['^bad <HOST>$', '^worse <HOST>$']]",
      "['set', 'j', 'datepattern', '{^LN-BEG}']",
      "['set', 'j', 'addjournalmatch', '_COMM=x', '+', '_A=b c']",
      "['set', 'j', 'maxretry', 4]",
      "['set', 'j', 'ignoreself', False]",
      "['set', 'j', 'addignoreip', '10.0.0.1', '10.0.0.2']",
      `['set', 'j', 'addlogpath', '${join(dir, 'j.log')}', 'tail']`,
      "['set', 'j', 'addaction', 'a']",
      // commands substituted (not the family-conditional <where>), parameters and [Init] as written
      "['multi-set', 'j', 'action', 'a', [['actionban', 'run j <ip> <where>'], ['actionunban', 'run j -<ip>'], ['norestored', True], ['port', '22'], ['name', 'j'], ['actname', 'a'], ['cmd', 'run <name>'], ['where', 'v4'], ['where?family=inet6', 'v6']]]",
      "['start', 'j']",
    ]);
    // fail2ban 1.0.2 on this tree: each option its reader takes a default for (backend: read twice)
    expect(warnings).toEqual([
      "'syslogsocket' not defined in 'Definition'. Using default one: 'auto'",
      "'allowipv6' not defined in 'Definition'. Using default one: 'auto'",
      "'dbfile' not defined in 'Definition'. Using default one: '/var/lib/fail2ban/fail2ban.sqlite3'",
      "'backend' not defined in 'j'. Using default one: 'auto'",
      "'backend' not defined in 'j'. Using default one: 'auto'",
    ]);
  });

  it('warns when a jail has no log file and leaves systemd jails without addlogpath', async () => {
    const dir = tree({
      'fail2ban.conf': '[Definition]\nallowipv6 = no\n',
      'filter.d/f.conf': '[Definition]\nfailregex = ^x <HOST>$\n',
      'jail.conf':
        '[a]\nenabled = true\nfilter = f\nlogpath = /nonexistent/x.log\n[b]\nenabled = true\nbackend = systemd\nfilter = f\nlogpath = /nonexistent/y.log\n',
    });
    const { lines, warnings } = await dump(dir);
    expect(lines.filter((l) => l.includes("'a'") || l.includes("'b'"))).toEqual([
      "['add', 'a', 'auto']",
      "['set', 'a', 'addfailregex', '^x <HOST>$']",
      "['add', 'b', 'systemd']",
      "['set', 'b', 'addfailregex', '^x <HOST>$']",
      "['start', 'a']",
      "['start', 'b']",
    ]);
    // fail2ban 1.0.2 on this tree (after the socket/pidfile/… its client reads for any command):
    // the defaults its reader takes and the action warnings while reading every jail, then those
    // of the streams
    expect(warnings).toEqual([
      "'loglevel' not defined in 'Definition'. Using default one: 'INFO'",
      "'logtarget' not defined in 'Definition'. Using default one: 'STDERR'",
      "'syslogsocket' not defined in 'Definition'. Using default one: 'auto'",
      "'dbfile' not defined in 'Definition'. Using default one: '/var/lib/fail2ban/fail2ban.sqlite3'",
      "'dbpurgeage' not defined in 'Definition'. Using default one: '1d'",
      "'backend' not defined in 'a'. Using default one: 'auto'",
      "'backend' not defined in 'a'. Using default one: 'auto'",
      "'action' not defined in 'a'. Using default one: ''",
      'No actions were defined for a',
      "'action' not defined in 'b'. Using default one: ''",
      'No actions were defined for b',
      'Have not found any log file for a jail',
    ]);
  });

  // Debian's fail2ban-client on its own tree, with a jail.local that exercises most of the stream
  const F2B = '/usr/bin/fail2ban-client';
  const stock = existsSync(F2B) && existsSync('/etc/fail2ban/jail.conf');
  it.skipIf(!stock)(
    'prints the same bytes as fail2ban-client 1.0.2 -d on the stock tree',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ljstream-'));
      dirs.push(dir);
      const conf = join(dir, 'conf');
      cpSync('/etc/fail2ban', conf, { recursive: true });
      for (const f of ['a.log', 'b.log', 'c1.log', 'c2.log']) writeFileSync(join(dir, f), '');
      writeFileSync(
        join(conf, 'fail2ban.local'),
        '[Definition]\nloglevel = NOTICE\ndbmaxmatches = 7\nallowipv6 = yes\n[Thread]\nstacksize = 64\n',
      );
      writeFileSync(
        join(conf, 'jail.local'),
        [
          '[DEFAULT]',
          'ignoreip = 127.0.0.1/8 ::1, 10.0.0.0/8',
          'bantime.increment = true',
          'bantime.multipliers = 1 2 4',
          'action = %(action_mwl)s',
          `         dummy[target=${dir}/d.txt, name=extra]`,
          '[sshd]',
          'enabled = true',
          'mode = aggressive',
          `logpath = ${dir}/a.log`,
          `          ${dir}/c*.log tail`,
          'failregex = %(known/failregex)s',
          '            ^Extra <HOST>$',
          'ignoreregex = ^foo <HOST>',
          'maxlines = 2',
          '[dovecot]',
          'enabled = true',
          'backend = systemd',
          'banaction = nftables[type=allports]',
          'action = %(action_)s',
          '[nginx-http-auth]',
          'enabled = true',
          `logpath = ${dir}/b.log`,
          'datepattern = {^LN-BEG}%%Y-%%m-%%d',
          'usedns = no',
          'ignoreself = false',
          'logtimezone = UTC',
          'ignorecommand = /bin/true <ip>',
          'action = iptables-ipset-proto6[name=ngx]',
          '[recidive]',
          'enabled = true',
          `logpath = ${dir}/a.log`,
          '',
        ].join('\n'),
      );
      const theirs = spawnSync(F2B, ['-c', conf, '-d'], { encoding: 'utf8', timeout: 60_000 });
      expect(theirs.status).toBe(0);
      const ours = formatStream(await configStream(readConfig(conf)));
      expect(ours.split('\n').length).toBeGreaterThan(50);
      expect(ours).toBe(theirs.stdout);
    },
    120_000,
  );
});
