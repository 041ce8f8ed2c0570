import { describe, expect, it } from 'vitest';
import { stubJail } from '../config/jail-reader.js';
import type { JailDef } from '../config/types.js';
import { fixedClock } from '../core/clock.js';
import { IgnoreList } from '../jail/ignore.js';
import { Jail } from '../jail/jail.js';
import { configuredSettingLines } from './setting-log.js';

const clock = fixedClock(1_700_000_000);

function setup(options: Record<string, string>): { def: JailDef; jail: Jail } {
  const def: JailDef = { ...stubJail('t1', { file: 'jail.local', line: 1 }), options };
  const jail = new Jail({
    name: def.name,
    maxretry: 2,
    maxmatches: 3,
    findtime: 3600,
    bantime: 4,
    increment: { enabled: true, factor: 2, formula: null, multipliers: [], maxtime: null, rndtime: null, overalljails: false },
    clock,
    ignore: new IgnoreList({ clock }, { ignoreself: false, ignoreip: [] }),
    log: () => undefined,
  });
  return { def, jail };
}

const text = (lines: ReturnType<typeof configuredSettingLines>): string[] =>
  lines.map((l) => `${l.logger} ${l.level ?? 'INFO'} ${l.msg}`);

describe('configuredSettingLines', () => {
  // captured from fail2ban-server 1.0.2 for the same jail.local
  it('a new jail names its backend, then logs the settings in stream order', () => {
    const { def, jail } = setup({
      backend: 'polling',
      maxretry: '2',
      findtime: '1h',
      bantime: '4',
      'bantime.increment': 'true',
      'bantime.factor': '2',
    });
    expect(text(configuredSettingLines(def, jail, null, { hasDatabase: true }))).toEqual([
      "jail INFO Jail 't1' uses poller {}",
      "jail INFO Initiated 'polling' backend",
      'filter INFO   maxRetry: 2',
      'filter INFO   findtime: 3600',
      'actions INFO   banTime: 4',
      'jail INFO Set banTime.increment = True',
      'jail INFO Set banTime.factor = 2',
    ]);
    // a reload of a jail that exists: the settings only
    expect(text(configuredSettingLines(def, jail, null))[0]).toBe('filter INFO   maxRetry: 2');
  });

  it('names backend parameters, `auto` as pyinotify, and warns of increment without a database', () => {
    const sd = setup({ backend: 'systemd[journalflags=1]', 'bantime.increment': 'true' });
    expect(text(configuredSettingLines(sd.def, sd.jail, null, { hasDatabase: false }))).toEqual([
      "jail INFO Jail 't1' uses systemd {'journalflags': '1'}",
      "jail INFO Initiated 'systemd' backend",
      'jail INFO Set banTime.increment = True',
      'jail WARNING ban time increment is not available as long jail database is not set',
    ]);
    const auto = setup({});
    expect(text(configuredSettingLines(auto.def, auto.jail, null, { hasDatabase: true }))).toEqual([
      "jail INFO Jail 't1' uses pyinotify {}",
      "jail INFO Initiated 'pyinotify' backend",
    ]);
  });
});
