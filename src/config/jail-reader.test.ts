import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, readJails } from './jail-reader.js';
import { readServer } from './server-reader.js';
import { cleanupTrees, makeTree, messageOf } from './tree.case.js';

afterAll(cleanupTrees);

const JAIL_CONF = [
  '[INCLUDES]', //                                                  1
  'before = paths.conf', //                                         2
  '[DEFAULT]', //                                                   3
  'bantime = 10m', //                                               4
  'findtime = 10m', //                                              5
  'maxretry = 5', //                                                6
  'maxmatches = %(maxretry)s', //                                   7
  'backend = auto', //                                              8
  'mode = normal', //                                               9
  'filter = %(__name__)s[mode=%(mode)s]', //                        10
  'port = 0:65535', //                                              11
  'banaction = ban', //                                             12
  'action_ = %(banaction)s[port="%(port)s", chain="<known/chain>"]', // 13
  'action = %(action_)s', //                                        14
  'agent = f2b/%(fail2ban_version)s in %(fail2ban_confpath)s', //   15
  'broken_helper = %(not_defined)s', //                             16
  '[sshd]', //                                                      17
  'enabled = true', //                                              18
  'port = ssh', //                                                  19
  'logpath = %(syslog_authpriv)s', //                               20
  '          /var/log/extra.log tail', //                           21
  'backend = systemd[journalflags=1]', //                           22
  'bantime = -10', //                                               23
  'bantime.increment = yes', //                                     24
  'bantime.multipliers = 1 2 4', //                                 25
  'bantime.maxtime = 1w', //                                        26
  'ignoreip = 127.0.0.1/8 ::1, 10.0.0.0/8', //                      27
  'failregex = %(known/failregex)s', //                             28
  '            ^Extra <HOST>$', //                                  29
  '[web]', //                                                       30
  'enabled = false', //                                             31
  'mode = aggressive', //                                           32
  'action = %(action_)s', //                                        33
  '         ban[name=web-udp, port="80,443",', //                   34
  '             protocol=udp]', //                                  35
  '[broken-but-disabled]', //                                       36
  'bantime = forever', //                                           37
].join('\n');

const TREE = {
  'fail2ban.conf': '[DEFAULT]\nloglevel = INFO\ndbfile = /var/lib/fail2ban/db.sqlite3\ndbpurgeage = 1d\n[Definition]\n',
  'fail2ban.local': '[Definition]\ndbfile = None\nloglevel = DEBUG\n',
  'jail.conf': JAIL_CONF,
  'paths.conf': '[DEFAULT]\nsyslog_authpriv = /var/log/auth.log\n',
  'filter.d/sshd.conf': '[Definition]\nfailregex = ^Failed from <HOST>$\n            ^Invalid from <HOST>$\ndatepattern = {^LN-BEG}\n',
  'filter.d/web.conf': '[Definition]\nmdre-normal = ^n <HOST>\nmdre-aggressive = ^a <HOST>\nfailregex = <mdre-<mode>>\n',
  'filter.d/broken-but-disabled.conf': '[Definition]\nfailregex = x <HOST>\n',
  'action.d/ban.conf': '[Definition]\nactionban = ban <ip> <port> <chain>\n[Init]\nchain = INPUT\nport = 1\n',
};

describe('readConfig', () => {
  const dir = makeTree(TREE);
  const jail = join(dir, 'jail.conf');

  it('reads the server options (.local over .conf, None → null, times converted)', () => {
    expect(readServer(dir)).toEqual({
      loglevel: 'DEBUG',
      logtarget: '/var/log/fail2ban.log',
      syslogsocket: 'auto',
      socket: '/var/run/fail2ban/fail2ban.sock',
      pidfile: '/var/run/fail2ban/fail2ban.pid',
      dbfile: null,
      dbpurgeage: 86400,
      dbmaxmatches: 10,
      allowipv6: 'auto',
    });
  });

  it('reads every jail section in order with DEFAULT inheritance', () => {
    const cfg = readConfig(dir);
    expect(cfg.basedir).toBe(dir);
    expect(cfg.jails.map((j) => [j.name, j.enabled])).toEqual([
      ['sshd', true],
      ['web', false],
      ['broken-but-disabled', false],
    ]);
    const sshd = cfg.jails[0]!;
    expect(sshd).toMatchObject({
      backend: 'systemd',
      backendOptions: { journalflags: '1' },
      logpath: [
        { pattern: '/var/log/auth.log', position: 'head' },
        { pattern: '/var/log/extra.log', position: 'tail' },
      ],
      maxretry: 5,
      maxmatches: 5,
      findtime: 600,
      bantime: -10,
      ignoreself: true,
      ignoreip: ['127.0.0.1/8', '::1', '10.0.0.0/8'],
      usedns: 'warn',
      logencoding: 'auto',
      logtimezone: null,
      where: { file: jail, line: 17 },
    });
    expect(sshd.increment).toEqual({
      enabled: true,
      factor: 1,
      formula: null,
      multipliers: [1, 2, 4],
      maxtime: 604800,
      rndtime: null,
      overalljails: false,
    });
    expect(sshd.options.agent).toBe(`f2b/1.0.2 in ${dir}`);
    expect(sshd.options).not.toHaveProperty('broken_helper');
  });

  it('resolves the filter with jail overrides and %(known/x)s, keeping line origins', () => {
    const f = readConfig(dir).jails[0]!.filter!;
    expect(f.failregex).toEqual([
      { regex: '^Failed from <HOST>$', where: { file: join(dir, 'filter.d/sshd.conf'), line: 2 } },
      { regex: '^Invalid from <HOST>$', where: { file: join(dir, 'filter.d/sshd.conf'), line: 3 } },
      { regex: '^Extra <HOST>$', where: { file: jail, line: 29 } },
    ]);
    expect(f.options.logtype).toBe('journal');
  });

  it('resolves actions: params, known/ tags, multi-line specs, actname suffixes', () => {
    const cfg = readConfig(dir, { jailOverrides: { web: { enabled: 'true' } } });
    const [sshd, web] = cfg.jails;
    expect(sshd!.actions.map((a) => [a.actname, a.options.port, a.options.chain, a.options['known/chain']])).toEqual([
      ['ban', 'ssh', '<known/chain>', 'INPUT'],
    ]);
    expect(web!.actions.map((a) => [a.actname, a.options.name, a.options.port, a.options.protocol])).toEqual([
      ['ban', 'web', '0:65535', undefined],
      ['ban-udp', 'web-udp', '80,443', 'udp'],
    ]);
    expect(web!.filter!.failregex.map((r) => r.regex)).toEqual(['^a <HOST>']);
    // a broken disabled jail is skipped, unless everything is to be resolved
    expect(cfg.jails).toHaveLength(3);
    expect(messageOf(() => readConfig(dir, { resolveAll: true }))).toBe(
      `${jail}:37: bad time value 'forever' for 'bantime' (expected seconds or e.g. 10m, 1h, 1d12h)`,
    );
  });

  it('does not resolve disabled jails by default; overrides enable them in memory', () => {
    const plain = readJails(dir);
    expect(plain[1]!.filter).toBeNull();
    expect(plain[1]!.actions).toEqual([]);
    expect(plain[2]!.bantime).toBe(600);
    const forced = readJails(dir, { jailOverrides: { web: { enabled: 'true', mode: 'normal' } }, onlyEnabled: true });
    expect(forced.map((j) => j.name)).toEqual(['sshd', 'web']);
    expect(forced[1]!.filter!.failregex.map((r) => r.regex)).toEqual(['^n <HOST>']);
    expect(messageOf(() => readJails(dir, { jailOverrides: { '*': { enabled: 'true' } } }))).toBe(
      `${jail}:37: bad time value 'forever' for 'bantime' (expected seconds or e.g. 10m, 1h, 1d12h)`,
    );
    expect(messageOf(() => readJails(dir, { jailOverrides: { nope: {} } }))).toBe("override for unknown jail 'nope'");
  });
});

describe('readConfig errors', () => {
  it('unknown filter: names the jail file:line, the name, every path searched, and the filters.d hint', () => {
    const dir = makeTree({
      'jail.conf': '[DEFAULT]\nfilter = %(__name__)s\n\n[dovecot]\nenabled = true\n',
      'filters.d/dovecot.conf': '[Definition]\nfailregex = x <HOST>\n',
    });
    const fd = `${dir}/filter.d`;
    expect(messageOf(() => readJails(dir))).toBe(
      `${dir}/jail.conf:4: jail 'dovecot': filter 'dovecot' not found; searched ${fd}/dovecot.conf, ${fd}/dovecot.d/*.conf, ` +
        `${fd}/dovecot.local, ${fd}/dovecot.d/*.local; found ${dir}/filters.d/dovecot.conf: filters are read from filter.d/, not filters.d/`,
    );
  });

  it('unknown action names the line of the jail’s action key', () => {
    const dir = makeTree({
      'jail.conf': '[x]\nenabled = 1\nfilter =\naction = nope[a=1]\n',
    });
    expect(messageOf(() => readJails(dir))).toMatch(new RegExp(`^${dir}/jail\\.conf:4: jail 'x': action 'nope' not found; searched ${dir}/action\\.d/nope\\.conf, `));
  });

  it('syntax error with file:line', () => {
    const dir = makeTree({ 'jail.conf': '[x]\nenabled = true\n', 'jail.local': '[x]\nfilter sshd\n' });
    expect(messageOf(() => readJails(dir))).toBe(
      `${dir}/jail.local:2: syntax error: expected 'key = value', '[section]' or an indented continuation line, got 'filter sshd'`,
    );
  });

  it('unknown interpolation key with file:line', () => {
    const dir = makeTree({ 'jail.conf': '[x]\nenabled = true\nfilter =\nlogpath = %(nginx_log)s\n' });
    expect(messageOf(() => readJails(dir))).toBe(`${dir}/jail.conf:4: unknown interpolation key '%(nginx_log)s' in option 'logpath' of [x]`);
  });

  it('bad boolean and bad number with file:line', () => {
    const a = makeTree({ 'jail.conf': '[x]\nenabled = maybe\n' });
    expect(messageOf(() => readJails(a))).toBe(`${a}/jail.conf:2: bad boolean 'maybe' for 'enabled' (expected true/yes/on/1 or false/no/off/0)`);
    const b = makeTree({ 'jail.conf': '[DEFAULT]\nmaxretry = five\n[x]\nenabled = on\nfilter =\n' });
    expect(messageOf(() => readJails(b))).toBe(`${b}/jail.conf:2: bad integer 'five' for 'maxretry'`);
    writeFileSync(join(b, 'jail.local'), '[x]\nmaxretry = -5\n');
    expect(messageOf(() => readJails(b))).toBe(`${b}/jail.local:2: bad value '-5' for 'maxretry' (expected an integer >= 1)`);
  });

  it('unknown backend names file:line and the allowed ones; a disabled jail is not checked', () => {
    const dir = makeTree({ 'jail.conf': '[x]\nenabled = true\nfilter =\nbackend = nosuch[a=1]\n[y]\nbackend = nosuch\n' });
    expect(messageOf(() => readJails(dir))).toBe(
      `${dir}/jail.conf:4: Unknown backend nosuch. Must be among ['pyinotify', 'gamin', 'polling', 'systemd'] or 'auto'`,
    );
  });

  it('a literal logpath that is a directory names file:line; a missing one or a glob is left to the source', () => {
    const dir = makeTree({ 'jail.conf': '[x]\nenabled = true\nfilter =\nlogpath = /nonexistent/x.log\n  %(here)s\nhere = /tmp\n[y]\nenabled = true\nfilter =\nlogpath = /tm[p]\n  /nonexistent/y.log\n' });
    expect(messageOf(() => readJails(dir))).toBe(`${dir}/jail.conf:4: logpath '/tmp' is a directory, not a log file`);
    writeFileSync(join(dir, 'jail.local'), '[x]\nlogpath = /nonexistent/x.log\n');
    expect(readJails(dir).map((j) => j.logpath.length)).toEqual([1, 2]);
  });

  it('an empty bantime, findtime, maxretry or maxmatches is an error with file:line, not the default', () => {
    const dir = makeTree({ 'jail.conf': '[DEFAULT]\nfindtime = 10m\n[x]\nenabled = true\nfilter =\nbantime =\n' });
    expect(messageOf(() => readJails(dir))).toBe(
      `${dir}/jail.conf:6: 'bantime' has an empty value (set one, or remove the line for the default)`,
    );
    writeFileSync(join(dir, 'jail.local'), '[DEFAULT]\nfindtime =\n[x]\nbantime = 1h\n');
    expect(messageOf(() => readJails(dir))).toMatch(/jail\.local:2: 'findtime' has an empty value/);
  });

  it('two actions with the same actname in one jail', () => {
    const dir = makeTree({ 'jail.conf': '[x]\nenabled = yes\nfilter =\naction = a\n  a[port=1]\n', 'action.d/a.conf': '[Definition]\n' });
    expect(messageOf(() => readJails(dir))).toBe(
      `${dir}/jail.conf:4: jail 'x': two actions are both named 'a' ('a' and 'a[port=1]'); give one a different name= or actname=`,
    );
  });

  it('missing jail.conf names the paths tried', () => {
    const dir = makeTree({ 'fail2ban.conf': '[Definition]\n' });
    expect(messageOf(() => readConfig(dir))).toMatch(new RegExp(`^Found no accessible config files for 'jail'; tried ${dir}/jail\\.conf, `));
  });
});
