import { describe, expect, it } from 'vitest';
import { announceLines } from './jail-announce.js';

const text = (stream: Parameters<typeof announceLines>[0], db = true): string[] =>
  announceLines(stream, db).map((l) => `${l.logger} ${l.level} ${l.msg}`);

describe('announceLines', () => {
  it('logs the settings of a jail as fail2ban 1.0.2 does while its client configures it', () => {
    // captured from fail2ban-server 1.0.2 for the same stream (fail2ban-client -d)
    expect(
      text([
        ['add', 't1', 'polling'],
        ['set', 't1', 'usedns', 'warn'],
        ['set', 't1', 'maxlines', 1],
        ['set', 't1', 'addfailregex', 'x <HOST>'],
        ['set', 't1', 'maxretry', 2],
        ['set', 't1', 'findtime', '1h'],
        ['set', 't1', 'bantime', '4'],
        ['set', 't1', 'bantime.increment', true],
        ['set', 't1', 'bantime.factor', '2'],
        ['set', 't1', 'bantime.multipliers', '1 5 30 60'],
        ['set', 't1', 'logencoding', 'auto'],
        ['set', 't1', 'addlogpath', '/var/log/auth.log', 'head'],
      ]),
    ).toEqual([
      "jail INFO Jail 't1' uses poller {}",
      "jail INFO Initiated 'polling' backend",
      'filter INFO   maxLines: 1',
      'filter INFO   maxRetry: 2',
      'filter INFO   findtime: 3600',
      'actions INFO   banTime: 4',
      'jail INFO Set banTime.increment = True',
      'jail INFO Set banTime.factor = 2',
      'jail INFO Set banTime.multipliers = 1 5 30 60',
      'filter INFO   encoding: UTF-8',
    ]);
  });

  it('names the backend, its parameters, and warns about increment without a database', () => {
    expect(text([['add', 's', 'systemd[journalflags=1]'], ['set', 's', 'bantime.increment', true]], false)).toEqual([
      "jail INFO Jail 's' uses systemd {'journalflags': '1'}",
      "jail INFO Initiated 'systemd' backend",
      'jail INFO Set banTime.increment = True',
      'jail WARNING ban time increment is not available as long jail database is not set',
    ]);
    expect(text([['add', 'a', 'auto']])).toEqual(["jail INFO Jail 'a' uses pyinotify {}", "jail INFO Initiated 'pyinotify' backend"]);
  });
});
