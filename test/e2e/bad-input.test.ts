import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { killForked } from './daemon-tools.js';
import { built, daemonRoots, waitFor, type DaemonRoot } from './harness.js';

/**
 * Bad input against a running daemon and at start-up: one clear line naming file:line (or the
 * argument), exit 255, and nothing lost — a reload that fails keeps the jails, their actions
 * and their bans; a server whose jail cannot start does not stay up without it.
 */
const root = daemonRoots();

const banips = (d: DaemonRoot): string => d.client(['get', 'test', 'banip']).stdout.trim();

async function withBans(d: DaemonRoot): Promise<void> {
  await d.start();
  expect(d.client(['set', 'test', 'banip', '192.0.2.1', '192.0.2.2']).stdout.trim()).toBe('2');
  await waitFor(() => d.records().filter((l) => l.startsWith('+')).length === 2, 10_000, 'two bans recorded');
}

describe.skipIf(!built())('bad input', () => {
  it('a reload whose new action cannot be built keeps the old actions and their bans', async () => {
    const d = root();
    await withBans(d);
    // the timeout is a tag, so only building the action finds it bad
    d.writeConf(
      'action.d/late.conf',
      '[Definition]\nactionban = true\nactionunban = true\ntimeout = <t>\n[Init]\nt = abc\n',
    );
    d.writeConf('jail.local', '[test]\naction = late\n');
    const r = d.client(['reload']);
    expect(r.status).toBe(255);
    expect(r.stdout).toMatch(/timeout.*abc/);
    expect(d.client(['get', 'test', 'actions']).stdout).toMatch(/\nrecord\n$/);
    expect(banips(d)).toBe('192.0.2.1 192.0.2.2');
    // the firewall side was not touched either: no unban reached the old action
    expect(d.records().filter((l) => l.startsWith('-'))).toEqual([]);
    expect(d.client(['status']).stdout).toMatch(/Jail list:\ttest\n$/);
  });

  it('a reload of a broken config answers one line naming file:line and keeps jails, settings and bans', async () => {
    const d = root();
    await withBans(d);
    const cases: [string, string | Buffer, RegExp][] = [
      ['jail.local', '[test]\nbackend = nosuch\n', /jail\.local:2: Unknown backend nosuch\. Must be among /],
      ['jail.local', '[test]\nlogpath = /tmp\n', /jail\.local:2: logpath '\/tmp' is a directory, not a log file$/],
      ['jail.local', '[test]\nbantime =\n', /jail\.local:2: 'bantime' has an empty value/],
      ['jail.local', '[test]\nmaxretry = -5\n', /jail\.local:2: bad value '-5' for 'maxretry'/],
      ['jail.local', Buffer.from('[test]\nmaxretry = 5 ; caf\xe9\n', 'latin1'), /jail\.local:2: byte 0xe9 is not valid UTF-8/],
      ['jail.local', '[test]\naction = record\n         timed[timeout=abc]\n', /jail\.local:2: bad time value 'abc' for 'timeout'/],
    ];
    d.writeConf('action.d/timed.conf', '[Definition]\nactionban = true\n');
    for (const [file, text, msg] of cases) {
      d.writeConf(file, text as string);
      const r = d.client(['reload']);
      expect(r.status, String(text)).toBe(255);
      expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stdout.trimEnd()).toMatch(msg);
      expect(d.client(['status']).stdout).toMatch(/Jail list:\ttest\n$/);
      expect(d.client(['get', 'test', 'maxretry']).stdout).toBe('3\n');
      expect(d.client(['get', 'test', 'actions']).stdout).toMatch(/\nrecord\n$/);
      expect(banips(d)).toBe('192.0.2.1 192.0.2.2');
    }
    expect(d.records().filter((l) => l.startsWith('-'))).toEqual([]);
  });

  it('a rejected set names the option, exits 255 and changes nothing', async () => {
    const d = root();
    await withBans(d);
    const cases: [string[], RegExp][] = [
      [['set', 'test', 'action', 'record', 'timeout', 'abc'], /^bad time value 'abc' for 'timeout' \(/],
      [['set', 'dbpurgeage', 'abc'], /^bad time value 'abc' for 'dbpurgeage' \(/],
      [['set', 'test', 'maxretry', '-5'], /^maxretry must be integer greater than zero$/],
      [['set', 'test', 'bantime.increment', 'maybe'], /^bantime\.increment: invalid boolean "maybe"/],
    ];
    for (const [cmd, msg] of cases) {
      const r = d.client(cmd);
      expect(r.status, cmd.join(' ')).toBe(255);
      expect(r.stdout.trimEnd()).toMatch(msg);
      expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(d.client(['get', 'test', 'action', 'record', 'timeout']).stdout).toBe('60\n');
    expect(d.client(['get', 'dbpurgeage']).stdout).toMatch(/`- 86400seconds\n$/);
    expect(d.client(['get', 'test', 'maxretry']).stdout).toBe('3\n');
    expect(banips(d)).toBe('192.0.2.1 192.0.2.2');
  });

  it('client start with a filter the jail cannot compile fails (255, file:line), leaving no server, socket or pid file', () => {
    const d = root();
    d.writeConf('filter.d/broken.conf', '[Definition]\nfailregex = ^Failed (password from <HOST>$\n');
    d.writeConf('jail.local', '[test]\nfilter = broken\n');
    try {
      const r = d.client(['start']);
      expect(r.status).toBe(255);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/filter\.d\/broken\.conf:2: invalid Python regex: missing \)/);
      expect(r.stderr).toMatch(/Could not start server\n$/);
      expect(existsSync(d.sock)).toBe(false);
      expect(existsSync(d.pid)).toBe(false);
      // no jail started, the socket never opened: before, it answered for a moment, and `start`
      // could catch that moment and print "Server ready" (exit 0) for a server that was exiting
      expect(readFileSync(d.serverLog, 'utf8')).not.toMatch(/Jail 'test' started|Creating new jail/);
    } finally {
      killForked(d);
    }
  });
});
