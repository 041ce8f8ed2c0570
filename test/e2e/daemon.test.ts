import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readStore } from './daemon-tools.js';
import { built, daemonRoots, syslogNow, waitFor, type DaemonRoot } from './harness.js';

/**
 * The real daemon and client, as a user runs them: config tree in a temp dir, log lines
 * appended to a file, bans observed through a recording action and the client's output.
 */
const root = daemonRoots();

/** The socket answers before the jails have started; commands to a jail wait for its start line. */
const jailStarted = (d: DaemonRoot, name: string, count = 1): Promise<void> =>
  waitFor(
    () => readFileSync(d.serverLog, 'utf8').split(`Jail '${name}' started`).length > count,
    10_000,
    `jail ${name} started`,
  );

describe.skipIf(!built())('daemon', () => {
  it('bans at the maxretry-th failure and shows it in status', async () => {
    const d = root();
    await d.start();
    d.fail('192.0.2.10', 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(d.records().filter((l) => l.startsWith('+'))).toEqual([]);
    d.fail('192.0.2.10', 1);
    await waitFor(() => d.records().some((l) => l.startsWith('+192.0.2.10')), 5000, 'ban');
    expect(d.records()).toContain('+192.0.2.10 600 root');
    const st = d.client(['status', 'test']);
    expect(st.status).toBe(0);
    expect(st.stdout).toBe(
      [
        'Status for the jail: test',
        '|- Filter',
        '|  |- Currently failed:\t0',
        '|  |- Total failed:\t3',
        `|  \`- File list:\t${d.log}`,
        '`- Actions',
        '   |- Currently banned:\t1',
        '   |- Total banned:\t1',
        '   `- Banned IP list:\t192.0.2.10',
        '',
      ].join('\n'),
    );
    const all = d.client(['status']);
    expect(all.stdout).toBe('Status\n|- Number of jail:\t1\n`- Jail list:\ttest\n');
    // a new database: connected first, then created, at WARNING, as 1.0.2 logs it
    const dbLines = readFileSync(d.serverLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes('fail2ban.database'))
      .map((l) => l.replace(/^.*\]: /, ''));
    expect(dbLines).toEqual([
      `INFO    Connected to fail2ban persistent database '${d.db}'`,
      "WARNING New database created. Version '4'",
    ]);
    const json = d.client(['status', 'test', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      jail: 'test',
      actions: { currently_banned: 1, banned_ip_list: ['192.0.2.10'] },
    });
  });

  it('unbans when the bantime ends, and never for a negative bantime', async () => {
    const d = root({ jail: { bantime: '2' } });
    const perm = join(d.dir, 'perm.log');
    writeFileSync(perm, '');
    d.writeConf(
      'jail.local',
      `[perm]\nenabled = true\nfilter = testauth\nlogpath = ${perm}\naction = record[name=perm]\nmaxretry = 1\nbantime = -10\nignoreself = false\n`,
    );
    await d.start();
    d.fail('192.0.2.20', 3);
    await waitFor(() => d.records().includes('+192.0.2.20 2 root'), 5000, 'ban');
    await waitFor(() => d.records().includes('-192.0.2.20'), 6000, 'unban at expiry');
    writeFileSync(
      join(d.dir, 'perm.log'),
      `${readFileSync(d.log, 'utf8').split('\n')[0]!.replace('192.0.2.20', '192.0.2.21')}\n`,
    );
    await waitFor(() => d.records().some((l) => l.startsWith('+192.0.2.21')), 5000, 'permanent ban');
    await new Promise((r) => setTimeout(r, 2500));
    expect(d.records()).not.toContain('-192.0.2.21');
    expect(d.client(['get', 'perm', 'banip']).stdout).toBe('192.0.2.21\n');
  });

  it('keeps bans across a restart (restored once, from SQLite)', async () => {
    const d = root();
    await d.start();
    d.fail('192.0.2.30', 3);
    await waitFor(() => d.records().some((l) => l.startsWith('+192.0.2.30')), 5000, 'ban');
    await d.stop();
    expect(d.records()).toContain('-192.0.2.30');
    const before = d.records().length;
    await d.start();
    await waitFor(
      () =>
        d
          .records()
          .slice(before)
          .some((l) => l.startsWith('+192.0.2.30')),
      5000,
      'restored ban',
    );
    expect(d.client(['get', 'test', 'banip']).stdout).toBe('192.0.2.30\n');
    // the old lines are not counted again: positions were saved
    expect(d.client(['status', 'test']).stdout).toContain('Total failed:\t0');
    expect(
      d
        .records()
        .slice(before)
        .filter((l) => l.startsWith('+192.0.2.30')),
    ).toHaveLength(1);
  });

  it('a permanent ban keeps its own negative bantime across a restart', async () => {
    const d = root({ jail: { bantime: '-10' } });
    await d.start();
    await jailStarted(d, 'test');
    expect(d.client(['set', 'test', 'banip', '192.0.2.31']).stdout).toBe('1\n');
    // fail2ban shows a permanent ban's end as the last second of year 9999
    const shown = /^192\.0\.2\.31 \t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+ -10 = 9999-12-31 23:59:59\n$/;
    expect(d.client(['get', 'test', 'banip', '--with-time']).stdout).toMatch(shown);
    await d.stop();
    await d.start();
    await jailStarted(d, 'test', 2);
    await waitFor(() => d.client(['get', 'test', 'banip']).stdout === '192.0.2.31\n', 5000, 'restored ban');
    expect(d.client(['get', 'test', 'banip', '--with-time']).stdout).toMatch(shown);
    expect(readFileSync(d.serverLog, 'utf8')).toMatch(/NOTICE {2}\[test\] Restore Ban 192\.0\.2\.31\n/);
  });

  it('ignores addresses in ignoreip', async () => {
    const d = root({ jail: { ignoreip: '192.0.2.0/28 127.0.0.1' } });
    await d.start();
    d.fail('192.0.2.5', 5);
    d.fail('192.0.2.40', 3);
    await waitFor(
      () => d.records().some((l) => l.startsWith('+192.0.2.40')),
      5000,
      'ban of the other address',
    );
    expect(d.records().some((l) => l.startsWith('+192.0.2.5 '))).toBe(false);
    expect(d.client(['get', 'test', 'ignoreip']).stdout).toBe(
      'These IP addresses/networks are ignored:\n|- 192.0.2.0/28\n`- 127.0.0.1\n',
    );
  });

  it('counts failures in log order while an ignorecommand check is still running', async () => {
    // the check is slow for .51 only: .52's failures, read in the same chunk, must wait for it
    const d = root({});
    const cmd = join(d.dir, 'slow-ignore.sh');
    writeFileSync(cmd, '#!/bin/sh\ncase "$1" in 192.0.2.51) sleep 0.3;; esac\nexit 1\n', { mode: 0o755 });
    d.writeConf('jail.local', `[test]\nignorecommand = ${cmd} <ip>\n`);
    await d.start();
    const line = (ip: string): string => `${syslogNow()} host sshd[123]: Failed password for root from ${ip} port 22 ssh2\n`;
    appendFileSync(d.log, line('192.0.2.51') + line('192.0.2.52') + line('192.0.2.51') + line('192.0.2.52') + line('192.0.2.51') + line('192.0.2.52'));
    await waitFor(() => d.records().filter((l) => l.startsWith('+')).length === 2, 10_000, 'two bans');
    const found = readFileSync(d.serverLog, 'utf8')
      .split('\n')
      .map((l) => /\] Found (\S+)/.exec(l)?.[1])
      .filter(Boolean);
    expect(found).toEqual(['192.0.2.51', '192.0.2.52', '192.0.2.51', '192.0.2.52', '192.0.2.51', '192.0.2.52']);
    expect(d.records().filter((l) => l.startsWith('+'))).toEqual(['+192.0.2.51 600 root', '+192.0.2.52 600 root']);
  });

  it('an ignorecommand that exits 2 does not ignore, and is reported as fail2ban.utils reports it', async () => {
    const d = root({ jail: { maxretry: '1' } });
    d.writeConf('jail.local', `[test]\nignorecommand = sh -c 'echo "no idea about $0" >&2; exit 2' <ip>\n`);
    await d.start();
    d.fail('192.0.2.53', 1);
    await waitFor(() => d.records().some((l) => l.startsWith('+192.0.2.53 ')), 10_000, 'ban');
    const utils = readFileSync(d.serverLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes('fail2ban.utils'))
      .map((l) => l.replace(/^.*\]: /, '').replace(/^(\S+ +)[0-9a-f]+ /, '$1REF '));
    expect(utils).toEqual([
      `ERROR   REF -- exec: sh -c 'echo "no idea about $0" >&2; exit 2' 192.0.2.53`,
      "ERROR   REF -- stderr: 'no idea about 192.0.2.53'",
      'ERROR   REF -- returned 2',
    ]);
  });

  it('usedns = yes: a host name in the log is banned by its address', async () => {
    const d = root({ jail: { usedns: 'yes' } });
    await d.start();
    d.fail('localhost', 3);
    await waitFor(
      () => d.records().some((l) => l.startsWith('+127.0.0.1 ')),
      5000,
      'ban of the resolved address',
    );
    expect(d.client(['get', 'test', 'banip']).stdout).toBe('127.0.0.1\n');
  });

  it('usedns = warn: DNS lines from fail2ban.ipdns as 1.0.2 writes them, a failed name reported once', async () => {
    // the name is also in ignoreip: one cache, one warning, as in 1.0.2
    const d = root({ jail: { usedns: 'warn', maxretry: '2', ignoreip: 'no-such-host.invalid' } });
    await d.start();
    d.fail('no-such-host.invalid', 3);
    d.fail('localhost', 2);
    await waitFor(() => d.records().some((l) => l.startsWith('+127.0.0.1 ')), 5000, 'ban of localhost');
    const dns = readFileSync(d.serverLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes('fail2ban.ipdns'))
      .map((l) => l.replace(/^.*\]: /, ''));
    expect(dns).toEqual([
      'WARNING Unable to find a corresponding IP address for no-such-host.invalid: [Errno -2] Name or service not known',
      "WARNING Determined IP using DNS Lookup: localhost = {'127.0.0.1'}",
      "WARNING Determined IP using DNS Lookup: localhost = {'127.0.0.1'}",
    ]);
  });

  it('keeps old ban history at start: its first purge is an hour later, as in fail2ban 1.0.2', async () => {
    const d = root({ jail: { maxretry: '1', findtime: '30d', bantime: '-1' } });
    // a ban from a line 3 days old: its history row is past dbpurgeage (1d) from the start on
    const old = syslogNow(new Date(Date.now() - 3 * 86_400_000));
    appendFileSync(d.log, `${old} host sshd[123]: Failed password for root from 192.0.2.60 port 22 ssh2\n`);
    const history = (): number => {
      const h = new Database(d.db, { readonly: true, fileMustExist: true });
      try {
        return (h.prepare("SELECT count(*) AS n FROM bans WHERE ip = '192.0.2.60'").get() as { n: number }).n;
      } finally {
        h.close();
      }
    };
    await d.start();
    await waitFor(() => d.records().some((l) => l.startsWith('+192.0.2.60 ')), 10_000, 'ban');
    await d.stop();
    expect(history()).toBe(1);
    // a restart must not purge it at once (<ipmatches>, <ipfailures> and bantime.increment read it)
    await d.start();
    await waitFor(
      () => d.client(['get', 'test', 'banned', '192.0.2.60']).stdout === '1\n',
      10_000,
      'restored',
    );
    expect(history()).toBe(1);
  });

  it('bans and unbans by command with fail2ban output and exit codes', async () => {
    const d = root();
    await d.start();
    expect(d.client(['set', 'test', 'banip', '192.0.2.50', '192.0.2.51'])).toMatchObject({
      status: 0,
      stdout: '2\n',
    });
    expect(d.client(['banned']).stdout).toBe("[{'test': ['192.0.2.50', '192.0.2.51']}]\n");
    expect(d.client(['get', 'test', 'banned', '192.0.2.50']).stdout).toBe('1\n');
    expect(d.client(['set', 'test', 'unbanip', '192.0.2.50']).stdout).toBe('1\n');
    const absent = d.client(['set', 'test', 'unbanip', '--report-absent', '192.0.2.99']);
    expect(absent).toMatchObject({ status: 255, stdout: "not banned: ['192.0.2.99']\n" });
    expect(absent.stderr).toMatch(/ERROR\s+NOK: \("not banned: \['192.0.2.99'\]",\)/);
    expect(d.client(['unban', '--all']).stdout).toBe('1\n');
    await waitFor(() => d.records().includes('-192.0.2.51'), 3000, 'unban action');
    const nosuch = d.client(['status', 'nosuch']);
    expect(nosuch).toMatchObject({ status: 255, stdout: "Sorry but the jail 'nosuch' does not exist\n" });
    expect(d.client(['foo'])).toMatchObject({ status: 255, stdout: 'Invalid command\n' });
    expect(d.client(['ping']).stdout).toBe('Server replied: pong\n');
    expect(d.client(['set', 'test', 'bantime', '1h']).stdout).toBe('3600\n');
    expect(d.client(['get', 'test', 'findtime']).stdout).toBe('600\n');
    expect(d.client(['get', 'test', 'actions']).stdout).toBe(
      'The jail test has the following actions:\nrecord\n',
    );
  });

  it('bans by command in the form a log line gives: one address is one ban however it is written', async () => {
    const d = root();
    await d.start();
    await jailStarted(d, 'test');
    const c = (...args: string[]): string => d.client(args).stdout;
    // fail2ban 1.0.2 answers the same to each of these
    expect(c('set', 'test', 'banip', '2001:DB8:0::1', '::ffff:192.0.2.33', '192.0.2.1/32', 'notanip')).toBe('4\n');
    expect(c('get', 'test', 'banip')).toBe('2001:db8::1 192.0.2.33 192.0.2.1 notanip\n');
    expect(c('set', 'test', 'banip', '2001:db8::1')).toBe('0\n');
    expect(c('banned', '192.0.2.33', '::ffff:192.0.2.33', '2001:DB8::1')).toBe("[['test'], ['test'], ['test']]\n");
    expect(c('get', 'test', 'banned', '192.0.2.1/32')).toBe('1\n');
    expect(c('set', 'test', 'unbanip', '2001:db8::1')).toBe('1\n');
    // fail2ban looks these two up by their text and answers 0; we find the ban they name
    expect(c('set', 'test', 'unbanip', '192.0.2.1/32')).toBe('1\n');
    expect(c('unban', '::ffff:192.0.2.33')).toBe('1\n');
    expect(c('get', 'test', 'banip')).toBe('notanip\n');
    await waitFor(() => d.records().includes('-192.0.2.33'), 3000, 'unban action');
    expect(d.records().map((l) => l.split(' ')[0])).toEqual([
      'start',
      '+2001:db8::1',
      '+192.0.2.33',
      '+192.0.2.1',
      '+notanip',
      '-2001:db8::1',
      '-192.0.2.1',
      '-192.0.2.33',
    ]);
    expect([...readStore(d.db, 'test').bans]).toEqual(['notanip']);
  });

  it('bantime.* options: None until set, then as fail2ban 1.0.2 shows them (config, reload, command)', async () => {
    const d = root();
    await d.start();
    await jailStarted(d, 'test');
    const get = (opt: string): string => d.client(['get', 'test', `bantime.${opt}`]).stdout;
    const opts = ['increment', 'factor', 'formula', 'multipliers', 'maxtime', 'rndtime', 'overalljails'];
    expect(opts.map(get)).toEqual(opts.map(() => 'None\n'));
    d.writeConf(
      'jail.local',
      '[test]\nbantime.increment = true\nbantime.factor = 2\nbantime.multipliers = 1 2 4\nbantime.maxtime = 1d\nbantime.rndtime = 10m\nbantime.overalljails = true\n',
    );
    expect(d.client(['reload']).stdout).toBe('OK\n');
    expect(opts.map(get)).toEqual(['True\n', '2\n', 'None\n', '1 2 4\n', '86400\n', '600\n', 'True\n']);
    expect(d.client(['set', 'test', 'bantime.overalljails', 'on']).stdout).toBe('on\n');
    expect(d.client(['set', 'test', 'bantime.maxtime', '']).stdout).toBe('None\n');
  });

  it('a jail ended by `stop <jail>` is gone until a reload brings it back', async () => {
    const d = root();
    await d.start();
    await jailStarted(d, 'test');
    expect(d.client(['stop', 'test']).stdout).toBe('Jail stopped\n');
    const gone = { status: 255, stdout: "Sorry but the jail 'test' does not exist\n" };
    expect(d.client(['start', 'test'])).toMatchObject(gone);
    expect(d.client(['reload', 'test'])).toMatchObject(gone);
    expect(d.client(['status']).stdout).toBe('Status\n|- Number of jail:\t0\n`- Jail list:\t\n');
    expect(d.client(['reload', '--if-exists', 'test']).stdout).toBe('OK\n');
    expect(d.client(['status']).stdout).toBe('Status\n|- Number of jail:\t1\n`- Jail list:\ttest\n');
  });

  it('logs failed commands and reloads with fail2ban 1.0.2\'s lines', async () => {
    const d = root();
    d.writeConf(
      'jail.local',
      `[other]\nenabled = true\nfilter = testauth\nlogpath = ${d.log}\naction = record\n` +
        'maxlines = 2\ndatepattern = ^%%Y-%%m-%%d\nlogencoding = utf-8\n',
    );
    await d.start();
    const newLines = (() => {
      let seen = 0;
      return (): string[] => {
        const all = readFileSync(d.serverLog, 'utf8').split('\n').filter(Boolean);
        const out = all.slice(seen).map((l) => l.replace(/^\S+ \S+ /, '').replace(/\[\d+\]/, '[PID]'));
        seen = all.length;
        return out;
      };
    })();
    await jailStarted(d, 'other');
    const settings = (lines: string[]): string[] => lines.filter((l) => l.includes('INFO      '));
    const started = newLines();
    // a new jail first names its backend, as fail2ban's `add` does
    expect(started.filter((l) => / uses |Initiated /.test(l))).toEqual([
      "fail2ban.jail           [PID]: INFO    Jail 'test' uses pyinotify {}",
      "fail2ban.jail           [PID]: INFO    Initiated 'pyinotify' backend",
      "fail2ban.jail           [PID]: INFO    Jail 'other' uses pyinotify {}",
      "fail2ban.jail           [PID]: INFO    Initiated 'pyinotify' backend",
    ]);
    expect(settings(started)).toEqual([
      'fail2ban.filter         [PID]: INFO      maxRetry: 3',
      'fail2ban.filter         [PID]: INFO      findtime: 600',
      'fail2ban.actions        [PID]: INFO      banTime: 600',
      'fail2ban.filter         [PID]: INFO      maxLines: 2',
      "fail2ban.datedetector   [PID]: INFO      date pattern `'^%Y-%m-%d'`: `^Year-Month-Day`",
      'fail2ban.filter         [PID]: INFO      encoding: utf-8',
    ]);
    expect(d.client(['status', 'nosuch']).status).toBe(255);
    expect(d.client(['get', 'test']).status).toBe(255);
    expect(newLines()).toEqual([
      "fail2ban.transmitter    [PID]: ERROR   Command ['status', 'nosuch'] has failed. Received UnknownJailException('nosuch')",
      "fail2ban.transmitter    [PID]: ERROR   Command ['get', 'test'] has failed. Received IndexError('list index out of range')",
    ]);
    expect(d.client(['reload']).stdout).toBe('OK\n');
    expect(newLines()).toEqual([
      'fail2ban.server         [PID]: INFO    Reload all jails',
      "fail2ban.server         [PID]: INFO    Reload jail 'test'",
      // as fail2ban's setters log the settings the configuration gives, in its stream order
      'fail2ban.filter         [PID]: INFO      maxRetry: 3',
      'fail2ban.filter         [PID]: INFO      findtime: 600',
      'fail2ban.actions        [PID]: INFO      banTime: 600',
      "fail2ban.server         [PID]: INFO    Reload jail 'other'",
      'fail2ban.filter         [PID]: INFO      maxLines: 2',
      "fail2ban.datedetector   [PID]: INFO      date pattern `'^%Y-%m-%d'`: `^Year-Month-Day`",
      'fail2ban.filter         [PID]: INFO      encoding: utf-8',
      "fail2ban.server         [PID]: INFO    Jail 'test' reloaded",
      "fail2ban.server         [PID]: INFO    Jail 'other' reloaded",
      'fail2ban.server         [PID]: INFO    Reload finished.',
    ]);
    expect(d.client(['reload', 'test']).stdout).toBe('OK\n');
    expect(newLines()).toEqual([
      'fail2ban.server         [PID]: INFO    Reload jail test',
      "fail2ban.server         [PID]: INFO    Reload jail 'test'",
      'fail2ban.filter         [PID]: INFO      maxRetry: 3',
      'fail2ban.filter         [PID]: INFO      findtime: 600',
      'fail2ban.actions        [PID]: INFO      banTime: 600',
      "fail2ban.server         [PID]: INFO    Jail 'test' reloaded",
      'fail2ban.server         [PID]: INFO    Reload finished.',
    ]);
    expect(d.client(['set', 'test', 'bantime', '1h']).stdout).toBe('3600\n');
    expect(d.client(['set', 'test', 'logencoding', 'auto']).status).toBe(0);
    expect(settings(newLines())).toEqual([
      'fail2ban.actions        [PID]: INFO      banTime: 3600',
      'fail2ban.filter         [PID]: INFO      encoding: UTF-8',
    ]);
  });

  it('flushes as fail2ban 1.0.2 logs it: "Flush ticket(s)" per flushable action first, then the Unban lines', async () => {
    const d = root({ jail: { action: 'flushing\n         record' } });
    d.writeConf(
      'action.d/flushing.conf',
      `[Definition]\nactionban = echo "f+<ip>" >> ${d.record}\nactionunban = echo "f-<ip>" >> ${d.record}\n` +
        `actionflush = echo "flush" >> ${d.record}\n`,
    );
    await d.start();
    await jailStarted(d, 'test');
    const tail = (() => {
      let seen = 0;
      return (): string[] => {
        const all = readFileSync(d.serverLog, 'utf8').split('\n').filter(Boolean);
        const out = all
          .slice(seen)
          .filter((l) => l.includes('NOTICE'))
          .map((l) => l.replace(/^.*NOTICE {2}/, ''));
        seen = all.length;
        return out;
      };
    })();
    expect(d.client(['set', 'test', 'banip', '192.0.2.1', '192.0.2.2']).stdout).toBe('2\n');
    tail();
    expect(d.client(['unban', '--all']).stdout).toBe('2\n');
    expect(tail()).toEqual([
      '[test] Flush ticket(s) with flushing',
      '[test] Unban 192.0.2.1',
      '[test] Unban 192.0.2.2',
    ]);
    // nothing banned: the flushable action still announces its flush, the other one nothing
    expect(d.client(['stop', 'test']).stdout).toBe('Jail stopped\n');
    expect(tail()).toEqual(['[test] Flush ticket(s) with flushing']);
    expect(d.records().filter((l) => l === 'flush' || l.startsWith('-'))).toEqual([
      'flush',
      '-192.0.2.1',
      '-192.0.2.2',
    ]);
  });

  it('a failed flush is not retried ban by ban: the invariant is checked, repaired except on stop (as 1.0.2)', async () => {
    const d = root({ jail: { action: 'guarded' } });
    const state = join(d.dir, 'state');
    // a firewall-like action whose "chain" is a file: flush and unban fail without it
    d.writeConf(
      'action.d/guarded.conf',
      `[Definition]\nactionstart = touch ${state}; echo start >> ${d.record}\nactionstop = rm ${state} && echo stop >> ${d.record}\n` +
        `actioncheck = test -f ${state}\nactionban = test -f ${state} && echo "+<ip>" >> ${d.record}\n` +
        `actionunban = test -f ${state} && echo "-<ip>" >> ${d.record}\nactionflush = test -f ${state} && echo flush >> ${d.record}\n`,
    );
    await d.start();
    await jailStarted(d, 'test');
    let seen = 0;
    const tail = (): string[] => {
      const all = readFileSync(d.serverLog, 'utf8').split('\n').filter(Boolean);
      const out = all
        .slice(seen)
        .filter((l) => / fail2ban\.(?:actions|utils|CommandAction) /.test(l))
        .map((l) => l.replace(/^\S+ \S+ (\S+)\s+\[\d+\]: (\S+)\s+(?:[0-9a-f]{12} -- )?/, '$1 $2 '));
      seen = all.length;
      return out;
    };
    const PRE =
      "Failed to flush bans in jail 'test' action 'guarded': Error flushing action Jail('test')/guarded";
    expect(d.client(['set', 'test', 'banip', '192.0.2.1', '192.0.2.2']).stdout).toBe('2\n');
    await waitFor(() => d.records().length === 3, 10_000, 'bans');
    tail();
    rmSync(state);
    expect(d.client(['unban', '--all']).stdout).toBe('2\n');
    expect(tail()).toEqual([
      'fail2ban.actions NOTICE [test] Flush ticket(s) with guarded',
      `fail2ban.utils ERROR exec: test -f ${state} && echo flush >> ${d.record}`,
      'fail2ban.utils ERROR returned 1',
      `fail2ban.actions ERROR ${PRE}: 'Script error'`,
      'fail2ban.actions INFO No flush occurred, do consistency check',
      `fail2ban.utils ERROR exec: test -f ${state}`,
      'fail2ban.utils ERROR returned 1',
      'fail2ban.CommandAction ERROR Invariant check failed. Trying to restore a sane environment',
      `fail2ban.utils ERROR exec: rm ${state} && echo stop >> ${d.record}`,
      `fail2ban.utils ERROR stderr: "rm: cannot remove '${state}': No such file or directory"`,
      'fail2ban.utils ERROR returned 1',
      'fail2ban.actions NOTICE [test] Unban 192.0.2.1',
      'fail2ban.actions NOTICE [test] Unban 192.0.2.2',
    ]);
    // repaired by a restart of the action; no unban one by one
    expect(d.records()).toEqual(['start', '+192.0.2.1', '+192.0.2.2', 'start']);
    expect(d.client(['set', 'test', 'banip', '192.0.2.3']).stdout).toBe('1\n');
    await waitFor(() => d.records().length === 5, 10_000, 'ban');
    tail();
    rmSync(state);
    expect(d.client(['stop', 'test']).stdout).toBe('Jail stopped\n');
    expect(tail()).toEqual([
      'fail2ban.actions NOTICE [test] Flush ticket(s) with guarded',
      `fail2ban.utils ERROR exec: test -f ${state} && echo flush >> ${d.record}`,
      'fail2ban.utils ERROR returned 1',
      `fail2ban.actions ERROR ${PRE}: 'Script error'`,
      'fail2ban.actions INFO No flush occurred, do consistency check',
      `fail2ban.utils ERROR exec: test -f ${state}`,
      'fail2ban.utils ERROR returned 1',
      'fail2ban.actions ERROR Invariant check failed. Flush is impossible.',
      'fail2ban.actions NOTICE [test] Unban 192.0.2.3',
      `fail2ban.utils ERROR exec: rm ${state} && echo stop >> ${d.record}`,
      `fail2ban.utils ERROR stderr: "rm: cannot remove '${state}': No such file or directory"`,
      'fail2ban.utils ERROR returned 1',
      "fail2ban.actions ERROR Failed to stop jail 'test' action 'guarded': Error stopping action Jail('test')/guarded: 'Script error'",
    ]);
    expect(d.records()).toEqual(['start', '+192.0.2.1', '+192.0.2.2', 'start', '+192.0.2.3']);
  });

  it('bantime.<any name>: stored and answered as fail2ban 1.0.2 does, each set logged', async () => {
    const d = root({ jail: { 'bantime.increment': 'true', 'bantime.factor': '2' } });
    await d.start();
    await jailStarted(d, 'test');
    const c = (...args: string[]): string => d.client(args).stdout;
    expect(c('get', 'test', 'bantime.nosuch')).toBe('None\n');
    expect(c('get', 'test', 'bantime.')).toBe('None\n');
    // the first value counts, more are ignored
    expect(c('set', 'test', 'bantime.nosuch', '3', '4')).toBe('3\n');
    expect(c('get', 'test', 'bantime.nosuch')).toBe('3\n');
    expect(c('get', 'test', 'bantime.NOSUCH')).toBe('None\n');
    expect(c('set', 'test', 'bantime.factor', '3', 'x')).toBe('3\n');
    // so does every single-value `set` in fail2ban 1.0.2
    expect(c('set', 'test', 'maxretry', '4', 'x')).toBe('4\n');
    expect(c('set', 'test', 'logencoding', 'utf-8', 'x')).toBe('Current log encoding is set to:\nutf-8\n');
    expect(c('set', 'test', 'ignorecommand', 'a', 'b')).toBe('a\n');
    expect(c('set', 'test', 'bantime.nosuch', '')).toBe('None\n');
    expect(c('get', 'test', 'bantime.nosuch')).toBe('None\n');
    expect(d.client(['set', 'test', 'bantime.nosuch']).stdout).toBe('Sorry but the command is invalid\n');
    const logged = readFileSync(d.serverLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes('Set banTime.'))
      .map((l) => l.replace(/^.*\]: /, ''));
    expect(logged).toEqual([
      'INFO    Set banTime.increment = True',
      'INFO    Set banTime.factor = 2',
      'INFO    Set banTime.nosuch = 3',
      'INFO    Set banTime.factor = 3',
      'INFO    Set banTime.nosuch = None',
    ]);
  });

  it('reload with a broken config reports file:line and keeps running with its bans', async () => {
    const d = root();
    await d.start();
    expect(d.client(['set', 'test', 'banip', '192.0.2.60']).stdout).toBe('1\n');
    d.writeConf('jail.local', '[test]\nfilter = nosuchfilter\n');
    const r = d.client(['reload']);
    expect(r.status).toBe(255);
    expect(r.stdout).toMatch(/jail\.local:2/);
    expect(r.stdout).toMatch(/nosuchfilter/);
    expect(d.client(['ping']).stdout).toBe('Server replied: pong\n');
    expect(d.client(['get', 'test', 'banip']).stdout).toBe('192.0.2.60\n');
    d.writeConf('jail.local', '[test]\nmaxretry = 2\n');
    expect(d.client(['reload']).stdout).toBe('OK\n');
    expect(d.client(['get', 'test', 'maxretry']).stdout).toBe('2\n');
    expect(d.client(['get', 'test', 'banip']).stdout).toBe('192.0.2.60\n');
  });

  it('stops cleanly on `stop` and the client reports a missing server', async () => {
    const d = root();
    await d.start();
    expect(d.client(['stop'])).toMatchObject({ status: 0, stdout: 'Shutdown successful\n' });
    const r = d.client(['status']);
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('Is fail2ban running?');
    expect(d.records()).toEqual(['start test', 'stop test']);
  });
});
