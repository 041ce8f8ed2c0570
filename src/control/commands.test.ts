import { describe, expect, it } from 'vitest';
import type { JailControl, ServerApi } from './api.js';
import { execute } from './commands.js';
import { CommandError, errorText } from './errors.js';

/** A server with one jail `sshd` whose get/set echo what they were asked. */
function fakeServer(): { api: ServerApi; calls: string[] } {
  const calls: string[] = [];
  const sshd: JailControl = {
    name: 'sshd',
    status: (flavor) => [['Flavor', flavor]],
    get: (key, args) => ['get', key, ...args],
    set: (key, args) => Promise.resolve(['set', key, ...args]),
    isBanned: () => false,
    bannedIds: () => [],
  };
  const api: ServerApi = {
    jailNames: () => ['sshd'],
    jailsInOrder: () => ['sshd'],
    jail: (name) => (name === 'sshd' ? sshd : undefined),
    statusAll: () => ({ server: [], jails: [] }),
    scheduleShutdown: () => undefined,
    addJailByCommand: (name) => name,
    startJail: () => Promise.resolve(),
    stopJail: () => Promise.resolve(),
    reload: () => Promise.resolve(),
    unban: () => Promise.resolve(0),
    flushLogs: () => 'rolled over',
    getServer: (key) => {
      calls.push(`getServer ${key}`);
      return key;
    },
    setServer: (key, value) => {
      calls.push(`setServer ${key} ${value}`);
      return value;
    },
    version: () => '1.0.2',
  };
  return { api, calls };
}

/** What the client would print for the command's error (or 'ok'). */
async function printed(api: ServerApi, cmd: string[]): Promise<string> {
  try {
    await execute(api, cmd);
    return 'ok';
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    return errorText(e.kind, e.message);
  }
}

describe('execute: fail2ban 1.0.2 answers to incomplete or extra words', () => {
  it('a missing option name is fail2ban\'s IndexError, before the jail is looked up', async () => {
    const { api } = fakeServer();
    for (const cmd of [['get'], ['set'], ['get', 'sshd'], ['set', 'sshd'], ['get', 'nosuch'], ['set', 'nosuch'], ['add'], ['start'], ['sleep'], ['multi-set'], ['multi-set', 'sshd']])
      expect(await printed(api, cmd), cmd.join(' ')).toBe('Sorry but the command is invalid');
    expect(await printed(api, ['get', 'nosuch', 'bantime'])).toBe("Sorry but the jail 'nosuch' does not exist");
    expect(await printed(api, ['foo'])).toBe('Invalid command');
    expect(await printed(api, ['unban'])).toBe('Invalid command');
  });

  it('server options: get ignores further words, set takes the first value and needs one', async () => {
    const { api, calls } = fakeServer();
    expect(await execute(api, ['get', 'loglevel', 'x'])).toBe('loglevel');
    expect(await execute(api, ['set', 'loglevel', 'DEBUG', 'x'])).toBe('DEBUG');
    expect(await printed(api, ['set', 'dbpurgeage'])).toBe('Sorry but the command is invalid');
    expect(calls).toEqual(['getServer loglevel', 'setServer loglevel DEBUG']);
  });

  it('status takes a jail and one flavor at most; --all stays the 1.1 view', async () => {
    const { api } = fakeServer();
    expect(await execute(api, ['status', 'sshd', 'short'])).toEqual([['Flavor', 'short']]);
    expect(await printed(api, ['status', 'sshd', 'short', 'extra'])).toBe('Invalid command (no status)');
    expect(await printed(api, ['status', 'sshd', 'basic', 'extra'])).toBe('Invalid command (no status)');
    expect(await execute(api, ['status', '--all', 'short'])).toEqual({ server: [], jails: [] });
  });

  it('server-status answers "Server ready", whatever follows', async () => {
    const { api } = fakeServer();
    expect(await execute(api, ['server-status'])).toBe('Server ready');
    expect(await execute(api, ['server-status', 'x'])).toBe('Server ready');
  });
});
