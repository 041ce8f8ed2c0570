import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendCommand } from '../control/client.js';
import type { Reply } from '../control/protocol.js';
import { Server } from './server.js';

/**
 * Replies to `set`/`get` commands that test/e2e/client-differential.test.ts found apart from
 * fail2ban-server 1.0.2's, on a server run in-process (one polling jail, a store).
 */
describe('server commands as fail2ban 1.0.2 answers them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lj-cmds-'));
  const sock = join(dir, 'lj.sock');
  let server: Server;
  const ask = (...cmd: string[]): Promise<Reply> => sendCommand(sock, cmd, 10_000);

  beforeAll(async () => {
    mkdirSync(join(dir, 'conf/filter.d'), { recursive: true });
    writeFileSync(join(dir, 'auth.log'), '');
    writeFileSync(
      join(dir, 'conf/fail2ban.conf'),
      `[Definition]\nloglevel = INFO\nlogtarget = ${join(dir, 'server.log')}\nsocket = ${sock}\npidfile = ${join(dir, 'lj.pid')}\ndbfile = ${join(dir, 'db.sqlite3')}\n`,
    );
    writeFileSync(join(dir, 'conf/filter.d/t.conf'), '[Definition]\nfailregex = ^fail from <HOST>$\n');
    writeFileSync(
      join(dir, 'conf/jail.conf'),
      `[t]\nenabled = true\nfilter = t\nbackend = polling\nlogpath = ${join(dir, 'auth.log')}\nignoreip = 10.0.0.0/8\nfindtime = 1.5m\n`,
    );
    server = new Server({ confdir: join(dir, 'conf') });
    await server.start();
  });

  afterAll(async () => {
    await server.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('server options: upper-cased level name, a syslog socket, checked dbmaxmatches, a fixed dbfile', async () => {
    expect(await ask('set', 'loglevel', 'loud')).toEqual({
      ok: false,
      kind: 'Value',
      error: "Invalid log level 'LOUD'",
    });
    expect(await ask('set', 'syslogsocket', '/dev/null/log')).toEqual({ ok: true, value: '/dev/null/log' });
    expect(await ask('get', 'syslogsocket')).toEqual({ ok: true, value: '/dev/null/log' });
    expect(await ask('set', 'dbmaxmatches', 'x')).toMatchObject({
      ok: false,
      error: "invalid literal for int() with base 10: 'x'",
    });
    expect(await ask('set', 'dbmaxmatches', '7')).toEqual({ ok: true, value: 7 });
    expect(await ask('set', 'dbfile', join(dir, 'other.sqlite3'))).toMatchObject({
      ok: false,
      error: 'Cannot change database when there are jails present',
    });
  });

  it('jail options: int() errors, whole-second bantime, float findtime, idle on|off only, no get idle', async () => {
    // the config's findtime = 1.5m is a float as well
    expect(await ask('get', 't', 'findtime')).toEqual({ ok: true, value: '90.0' });
    expect(await ask('set', 't', 'maxretry', '2.5')).toMatchObject({
      ok: false,
      error: "invalid literal for int() with base 10: '2.5'",
    });
    expect(await ask('set', 't', 'maxmatches', 'x')).toMatchObject({
      ok: false,
      error: "invalid literal for int() with base 10: 'x'",
    });
    expect(await ask('set', 't', 'bantime', '1.5')).toEqual({ ok: true, value: 1 });
    expect(await ask('set', 't', 'findtime', '1.5m')).toEqual({ ok: true, value: '90.0' });
    expect(await ask('get', 't', 'findtime')).toEqual({ ok: true, value: '90.0' });
    expect(await ask('set', 't', 'findtime', '10m')).toEqual({ ok: true, value: 600 });
    expect(await ask('set', 't', 'idle', 'ON')).toMatchObject({
      ok: false,
      kind: 'Invalid',
      error: "Invalid idle option, must be 'on' or 'off'",
    });
    expect(await ask('set', 't', 'idle', 'on')).toEqual({ ok: true, value: true });
    expect(await ask('set', 't', 'idle', 'off')).toEqual({ ok: true, value: false });
    expect(await ask('set', 't', 'attempt')).toMatchObject({
      ok: false,
      error: "Filter.addAttempt() missing 1 required positional argument: 'ip'",
    });
    expect(await ask('get', 't', 'idle')).toMatchObject({
      ok: false,
      error: 'Invalid command (no get action or not yet implemented)',
    });
  });

  it('lists: delignoreip of an absent entry fails; journal matches of a file jail are a no-op', async () => {
    expect(await ask('set', 't', 'delignoreip', '192.0.2.1')).toMatchObject({
      ok: false,
      error: 'list.remove(x): x not in list',
    });
    expect(await ask('set', 't', 'delignoreip', '10.0.0.0/8')).toEqual({ ok: true, value: [] });
    expect(await ask('set', 't', 'addjournalmatch', '_COMM=sshd')).toEqual({ ok: true, value: [] });
    expect(await ask('set', 't', 'deljournalmatch', '_COMM=sshd')).toEqual({ ok: true, value: [] });
  });

  it('a missing log file is an OSError: the text names the file, the args tuple does not', async () => {
    const missing = join(dir, 'missing.log');
    expect(await ask('set', 't', 'addlogpath', missing)).toEqual({
      ok: false,
      kind: 'Value',
      error: `[Errno 2] No such file or directory: '${missing}'`,
      args: "(2, 'No such file or directory')",
    });
  });
});
