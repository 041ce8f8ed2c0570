import { describe, expect, it } from 'vitest';
import type { IncrementDef } from '../config/types.js';
import { fixedClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { BanTicket, Failure } from '../core/failure.js';
import { IgnoreList, type IgnoreDeps } from './ignore.js';
import type { PreviousBan } from './increment.js';
import { Jail, type JailOptions } from './jail.js';

process.env.TZ = 'UTC';

const T0 = 1764051568; // 2025-11-25 06:19:28 UTC

const noIncrement: IncrementDef = { enabled: false, factor: 1, formula: null, multipliers: [], maxtime: null, rndtime: null, overalljails: false };

function setup(over: Partial<JailOptions> = {}, ignore: { deps?: Partial<IgnoreDeps>; ignoreip?: string[] } = {}) {
  const clock = fixedClock(T0);
  const logs: string[] = [];
  const ig = new IgnoreList({ clock, ...ignore.deps }, { ignoreself: false, ignoreip: ignore.ignoreip ?? [] });
  const jail = new Jail({
    name: 'sshd',
    maxretry: 3,
    maxmatches: 3,
    findtime: 600,
    bantime: 600,
    increment: noIncrement,
    clock,
    ignore: ig,
    log: (level, msg) => logs.push(`${level} ${msg}`),
    ...over,
  });
  return { clock, logs, jail, ig };
}

const failure = (id: string, time: number, over: Partial<Failure> = {}): Failure => ({
  id,
  ip: id,
  time,
  matches: [`Failed password for root from ${id}`],
  fields: { user: 'root' },
  count: 1,
  ...over,
});

describe('Jail counting and banning', () => {
  it('bans at the maxretry-th failure; the ban ends at last failure time + bantime', async () => {
    const { jail, logs, clock } = setup();
    clock.set(T0 + 100);
    expect(await jail.addFailure(failure('192.0.2.10', T0))).toBeNull();
    expect(await jail.addFailure(failure('192.0.2.10', T0 + 10))).toBeNull();
    const t = await jail.addFailure(failure('192.0.2.10', T0 + 20));
    expect(t).toMatchObject({ jail: 'sshd', id: '192.0.2.10', time: T0 + 20, bantime: 600, banCount: 0, failures: 3, restored: false, fields: { user: 'root' } });
    expect(t!.matches).toHaveLength(3);
    expect(jail.nextExpiry()).toBe(T0 + 620);
    expect(logs).toEqual([
      'INFO [sshd] Found 192.0.2.10 - 2025-11-25 06:19:28',
      'INFO [sshd] Found 192.0.2.10 - 2025-11-25 06:19:38',
      'INFO [sshd] Found 192.0.2.10 - 2025-11-25 06:19:48',
      'NOTICE [sshd] Ban 192.0.2.10',
    ]);
    expect(jail.status()).toEqual({ currentlyFailed: 0, totalFailed: 3, currentlyBanned: 1, totalBanned: 1, bannedIds: ['192.0.2.10'] });
    expect(jail.popExpired(T0 + 620)).toEqual([]);
    expect(jail.popExpired(T0 + 621)).toEqual([t]);
    expect(logs.at(-1)).toBe('NOTICE [sshd] Unban 192.0.2.10');
    expect(jail.status().currentlyBanned).toBe(0);
  });

  it('clamps future times to now and skips failures older than findtime', async () => {
    const { jail, logs } = setup({ maxretry: 1 });
    expect(await jail.addFailure(failure('192.0.2.1', T0 - 601))).toBeNull();
    expect(logs).toEqual([]);
    expect(jail.status().totalFailed).toBe(0);
    const t = await jail.addFailure(failure('192.0.2.2', T0 + 3600));
    expect(t?.time).toBe(T0);
  });

  it('rejects a ban that would already be over (old log replayed without the findtime check)', async () => {
    const { jail, logs } = setup({ maxretry: 1, checkFindTime: false, bantime: 60 });
    expect(await jail.addFailure(failure('192.0.2.3', T0 - 3600))).toBeNull();
    expect(logs.at(-1)).toBe('INFO [sshd] Ignore 192.0.2.3, expired bantime');
    expect(jail.status().currentlyBanned).toBe(0);
  });

  it('logs repeat bans of a banned id as already banned', async () => {
    const { jail, logs, clock } = setup({ maxretry: 1 });
    await jail.addFailure(failure('192.0.2.4', T0));
    clock.advance(100);
    expect(await jail.addFailure(failure('192.0.2.4', T0 + 100))).toBeNull();
    expect(logs.at(-1)).toBe('WARNING [sshd] 192.0.2.4 already banned');
    // the later failure prolonged the ban
    expect(jail.nextExpiry()).toBe(T0 + 700);
  });

  it('skips ignored ids and says why', async () => {
    const { jail, logs } = setup({ maxretry: 1 }, { ignoreip: ['192.0.2.0/24'] });
    expect(await jail.addFailure(failure('192.0.2.5', T0))).toBeNull();
    expect(logs).toEqual(['INFO [sshd] Ignore 192.0.2.5 by ip']);
    expect(jail.status().totalFailed).toBe(0);
  });

  it('counts attempts at now, one retry per match', () => {
    const { jail, logs } = setup();
    expect(jail.attempt('198.51.100.1', ['a', 'b'])).toBeNull();
    expect(logs).toEqual(['INFO [sshd] Attempt 198.51.100.1 - 2025-11-25 06:19:28']);
    const t = jail.attempt('198.51.100.1');
    expect(t).toMatchObject({ id: '198.51.100.1', time: T0, failures: 2 });
  });

  it('counts an attempt for an ignored address (the command is not filtered, as banip is not)', () => {
    const { jail, logs } = setup({ maxretry: 1 }, { ignoreip: ['192.0.2.0/24'] });
    const t = jail.attempt('192.0.2.77', ['failure one']);
    expect(t).toMatchObject({ id: '192.0.2.77' });
    expect(logs[0]).toBe('INFO [sshd] Attempt 192.0.2.77 - 2025-11-25 06:19:28');
    expect(jail.status().totalFailed).toBe(1);
  });

  it('keeps a bantime given by command as whole seconds, and a float findtime a float', () => {
    const { jail } = setup();
    expect(jail.setOption('bantime', '1.5')).toBe(1);
    expect(jail.setOption('bantime', '2.5h')).toBe(9000);
    jail.setOption('findtime', '1.5m');
    expect(jail.findtimeShown()).toBe('90.0');
    jail.setOption('findtime', '1h30m');
    expect(jail.findtimeShown()).toBe(5400);
    jail.setOption('findtime', '1.25');
    expect(jail.findtimeShown()).toBe(1.25);
  });

  it('treats negative bantimes (-1, -10) as permanent', async () => {
    for (const bantime of [-1, -10]) {
      const { jail } = setup({ maxretry: 1, bantime });
      const t = await jail.addFailure(failure('192.0.2.6', T0));
      expect(t?.bantime).toBe(bantime);
      expect(jail.nextExpiry()).toBeNull();
      expect(jail.popExpired(T0 + 1e9)).toEqual([]);
      expect(jail.banIpsWithTime()).toEqual([`192.0.2.6 \t2025-11-25 06:19:28 + ${bantime} = 9999-12-31 23:59:59`]);
    }
  });
});

describe('Jail bantime.increment', () => {
  const inc: IncrementDef = { ...noIncrement, enabled: true };

  it('raises the bantime of a repeat offender and logs Increase Ban', () => {
    const history: Record<string, PreviousBan> = { '192.0.2.7': { banCount: 2, time: T0 - 86400, bantime: 1200 } };
    const asked: [string, boolean][] = [];
    const { jail, logs } = setup(
      {
        maxretry: 10,
        increment: { ...inc, overalljails: true },
        previousBan: (id, all) => {
          asked.push([id, all]);
          return history[id] ?? null;
        },
      },
      {},
    );
    const [t] = jail.banManually(['192.0.2.7']);
    expect(t).toMatchObject({ bantime: 2400, banCount: 2, time: T0 });
    expect(asked).toEqual([['192.0.2.7', true]]);
    expect(logs).toEqual([
      'NOTICE [sshd] Ban 192.0.2.7',
      'INFO [sshd] IP 192.0.2.7 is bad: 2 # last 2025-11-24 06:19:28 - incr 10m to 40m',
      'NOTICE [sshd] Increase Ban 192.0.2.7 (3 # 40m -> 2025-11-25 06:59:28)',
    ]);
    const [u] = jail.banManually(['192.0.2.8']);
    expect(u).toMatchObject({ bantime: 600, banCount: 0 });
  });

  it('does not stretch a running ban with the increased bantime (fail2ban compares the jail bantime)', () => {
    const { jail, logs, clock } = setup({ increment: inc, previousBan: () => ({ banCount: 1, time: T0 - 86400, bantime: 600 }) });
    expect(jail.banManually(['192.0.2.7'])[0]).toMatchObject({ bantime: 1200 });
    clock.set(T0 + 100);
    expect(jail.banManually(['192.0.2.7'])).toEqual([]);
    expect(logs.filter((l) => l.includes('Increase'))).toHaveLength(1);
    expect(jail.banIpsWithTime()[0]).toMatch(/ \+ 1200 = /);
    // past the running ban's end, a repeat prolongs it by the jail's bantime, as 1.0.2
    clock.set(T0 + 700);
    expect(jail.banManually(['192.0.2.7'])).toEqual([]);
    expect(jail.banIpsWithTime()[0]).toMatch(/ \+ 1300 = /);
  });

  it('lets a failure of a known bad id count 2^n/2+1 retries', async () => {
    const prev: PreviousBan = { banCount: 3, time: T0 - 3600, bantime: 600 };
    const { jail, logs } = setup({ maxretry: 5, increment: inc, previousBan: () => prev });
    const t = await jail.addFailure(failure('192.0.2.9', T0));
    // fail2ban's observer re-adds the failure with the bonus: two attempts
    expect(t).toMatchObject({ id: '192.0.2.9', bantime: 4800, banCount: 3, failures: 2 });
    expect(jail.status().totalFailed).toBe(2);
    // Python's min(5.0, 5) is the float; only a smaller maxretry shows as the int
    expect(logs).toContain('INFO [sshd] Found 192.0.2.9, bad - 2025-11-25 06:19:28, 3 # -> 5.0, Ban');
    const { jail: j3, logs: l3 } = setup({ maxretry: 4, increment: inc, previousBan: () => prev });
    await j3.addFailure(failure('192.0.2.9', T0));
    expect(l3).toContain('INFO [sshd] Found 192.0.2.9, bad - 2025-11-25 06:19:28, 3 # -> 4, Ban');
    // no bonus when the failure bans by itself
    const { jail: j4 } = setup({ maxretry: 3, increment: inc, previousBan: () => ({ ...prev, banCount: 1 }) });
    expect(await j4.addFailure(failure('192.0.2.9', T0 - 10))).toBeNull();
    expect(j4.fails.get('192.0.2.9')).toMatchObject({ retry: 2, failures: 2 });
    expect(await j4.addFailure(failure('192.0.2.9', T0 - 5))).toMatchObject({ failures: 3 });
    // failures before the last ban were counted already: they count 1
    const { jail: j2 } = setup({ maxretry: 5, increment: inc, previousBan: () => ({ ...prev, time: T0 }) });
    expect(await j2.addFailure(failure('192.0.2.9', T0))).toBeNull();
    expect(j2.fails.get('192.0.2.9')?.retry).toBe(1);
  });

  it('uses multipliers and maxtime from the definition', () => {
    const { jail } = setup({ increment: { ...inc, multipliers: [1, 2, 10], maxtime: 5000 }, previousBan: () => ({ banCount: 2, time: 0, bantime: 600 }) });
    expect(jail.banManually(['192.0.2.20'])[0]?.bantime).toBe(5000);
  });
});

describe('Jail manual bans, restore and unban', () => {
  it('counts new manual bans only', () => {
    const { jail, logs } = setup();
    expect(jail.banManually(['192.0.2.30', '192.0.2.31'])).toHaveLength(2);
    expect(jail.banManually(['192.0.2.30'])).toHaveLength(0);
    expect(logs.at(-1)).toBe('DEBUG [sshd] 192.0.2.30 already banned');
    expect(jail.status().totalBanned).toBe(2);
  });

  it('bans, checks and unbans an address by its canonical form, whichever way it is written', async () => {
    const { jail } = setup({ maxretry: 1 });
    const banned = jail.banManually(['2001:DB8:0::1', '::ffff:192.0.2.33', '192.0.2.1/32', 'notanip']);
    expect(banned.map((t) => [t.id, t.ip])).toEqual([
      ['2001:db8::1', '2001:db8::1'],
      ['192.0.2.33', '192.0.2.33'],
      ['192.0.2.1', '192.0.2.1'],
      ['notanip', null],
    ]);
    // the same addresses again, differently written: no second ban
    expect(jail.banManually(['2001:db8::1', '192.0.2.33', '[2001:db8::1]'])).toEqual([]);
    expect(jail.banIps()).toEqual(['2001:db8::1', '192.0.2.33', '192.0.2.1', 'notanip']);
    expect(['192.0.2.33', '::ffff:192.0.2.33', '2001:DB8::1', '192.0.2.1/32'].map((id) => jail.isBanned(id))).toEqual([true, true, true, true]);
    const r = await jail.unban(['2001:DB8::1', '::ffff:192.0.2.33']);
    expect(r.unbanned.map((t) => t.id)).toEqual(['2001:db8::1', '192.0.2.33']);
    // an attempt counts for the address a log line would give
    const t = jail.attempt('::ffff:192.0.2.70');
    expect([t?.id, t?.ip]).toEqual(['192.0.2.70', '192.0.2.70']);
  });

  it('restores tickets flagged restored, skipping ignored and finished ones', async () => {
    const { jail, logs } = setup({}, { ignoreip: ['10.0.0.0/8'] });
    const base: BanTicket = { jail: 'sshd', id: '', ip: null, time: T0 - 300, bantime: 600, banCount: 1, failures: 5, matches: [], fields: {}, restored: false };
    const out = await jail.restore([
      { ...base, id: '192.0.2.40', ip: '192.0.2.40' },
      { ...base, id: '10.1.1.1', ip: '10.1.1.1' },
      { ...base, id: '192.0.2.41', ip: '192.0.2.41', time: T0 - 600 },
      { ...base, id: '192.0.2.42', ip: '192.0.2.42', bantime: -1, time: 0 },
    ]);
    expect(out.map((t) => [t.id, t.restored, t.banCount])).toEqual([
      ['192.0.2.40', true, 1],
      ['192.0.2.42', true, 1],
    ]);
    expect(logs).toEqual(['NOTICE [sshd] Restore Ban 192.0.2.40', 'INFO [sshd] Ignore 10.1.1.1 by ip', 'NOTICE [sshd] Restore Ban 192.0.2.42']);
    expect(jail.status().totalBanned).toBe(2);
  });

  it('unbans by id, by CIDR and by host name; reports what matched nothing', async () => {
    const { jail, logs } = setup({ resolve: (name) => Promise.resolve(name === 'bad.example' ? ['198.51.100.9'] : []) });
    jail.banManually(['192.0.2.50', '192.0.2.51', '192.0.3.1', '198.51.100.9', '2001:db8::5', 'someuser']);
    const r = await jail.unban(['192.0.2.0/24', '2001:DB8::5', 'bad.example', 'someuser', '203.0.113.1', 'nowhere.example']);
    expect(r.unbanned.map((t) => t.id)).toEqual(['192.0.2.50', '192.0.2.51', '2001:db8::5', '198.51.100.9', 'someuser']);
    expect(r.missed).toEqual(['203.0.113.1', 'nowhere.example']);
    expect(logs.filter((l) => l.includes('Unban'))).toHaveLength(5);
    expect(jail.status().bannedIds).toEqual(['192.0.3.1']);
    expect(jail.unbanAll().map((t) => t.id)).toEqual(['192.0.3.1']);
    expect(jail.status()).toMatchObject({ currentlyBanned: 0, totalBanned: 6 });
  });

  it('lists bans ordered by end of ban', async () => {
    const { jail, clock } = setup({ maxretry: 1 });
    jail.banManually(['192.0.2.60']);
    clock.set(T0 + 10);
    await jail.addFailure(failure('192.0.2.61', T0 - 100));
    expect(jail.banIps()).toEqual(['192.0.2.61', '192.0.2.60']);
    expect(jail.status().bannedIds).toEqual(['192.0.2.60', '192.0.2.61']);
  });
});

describe('Jail options', () => {
  it('parses values like fail2ban and returns the new value', () => {
    const { jail } = setup();
    expect(jail.setOption('bantime', '1h')).toBe(3600);
    expect(jail.setOption('findtime', '1d12h')).toBe(129600);
    expect(jail.setOption('maxretry', '7')).toBe(7);
    expect(jail.setOption('maxmatches', '2')).toBe(2);
    expect(jail.setOption('bantime.increment', 'true')).toBe(true);
    expect(jail.setOption('bantime.multipliers', '1 2 4')).toBe('1 2 4');
    expect(jail.setOption('bantime.maxtime', '1w')).toBe(604800);
    expect(jail.getOption('bantime.formula')).toBeNull();
    expect(jail.fails.maxretry).toBe(7);
    expect(jail.maxBantime()).toBe(604800);
    expect(() => jail.setOption('maxretry', 'x')).toThrow(ConfigError);
    expect(() => jail.setOption('bantime', 'forever')).toThrow(/bantime/);
    expect(() => jail.setOption('bantime.nope' as 'bantime.formula', '1')).toThrow(/bantime\.nope/);
    expect(jail.getOption('bantime')).toBe(3600);
  });

  it('refuses a maxretry below 1 and a boolean it cannot read, keeping the old value', () => {
    const { jail } = setup();
    jail.setOption('maxretry', '4');
    expect(() => jail.setOption('maxretry', '-5')).toThrow('maxretry must be integer greater than zero');
    expect(() => jail.setOption('maxretry', '0')).toThrow(ConfigError);
    expect(jail.getOption('maxretry')).toBe(4);
    jail.setOption('bantime.increment', 'on');
    expect(() => jail.setOption('bantime.increment', 'maybe')).toThrow(
      'bantime.increment: invalid boolean "maybe" (expected true/yes/on/1 or false/no/off/0)',
    );
    expect(() => jail.setOption('bantime.overalljails', 'perhaps')).toThrow(/bantime\.overalljails/);
    expect(jail.getOption('bantime.increment')).toBe(true);
    expect(jail.setOption('bantime.increment', 'OFF')).toBe(false);
  });
});

describe('Jail.addFailureNow (the daemon\'s busy path)', () => {
  it('counts and bans exactly like addFailure, synchronously when the ignore rules allow', async () => {
    const a = setup({}, { ignoreip: ['198.51.100.0/24', '192.0.2.99'] });
    const b = setup({}, { ignoreip: ['198.51.100.0/24', '192.0.2.99'] });
    const ids = ['192.0.2.1', '198.51.100.7', '192.0.2.99', '192.0.2.1', '2001:db8::1', '192.0.2.1', 'user-x'];
    for (const [i, id] of ids.entries()) {
      const now = a.jail.addFailureNow(failure(id, T0 + i, id === 'user-x' ? { ip: null } : {}));
      expect(now instanceof Promise).toBe(false);
      expect(now).toEqual(await b.jail.addFailure(failure(id, T0 + i, id === 'user-x' ? { ip: null } : {})));
    }
    expect(a.logs).toEqual(b.logs);
    expect(a.logs.filter((l) => l.includes('Ban'))).toEqual(['NOTICE [sshd] Ban 192.0.2.1']);
    expect(a.logs).toContain('INFO [sshd] Ignore 198.51.100.7 by ip');
  });

  it('falls back to the promise path when a rule needs DNS or a command', async () => {
    const { jail } = setup({}, { deps: { resolve: () => Promise.resolve(['192.0.2.5']) }, ignoreip: ['gw.example'] });
    const r = jail.addFailureNow(failure('192.0.2.5', T0));
    expect(r instanceof Promise).toBe(true);
    expect(await r).toBeNull();
  });

  it('does not even build the messages the logger would drop', async () => {
    const quiet = setup({ logThreshold: () => 25 });
    await quiet.jail.addFailure(failure('192.0.2.1', T0));
    expect(quiet.logs).toEqual([]);
    const loud = setup({ logThreshold: () => 20 });
    await loud.jail.addFailure(failure('192.0.2.1', T0));
    expect(loud.logs).toEqual(['INFO [sshd] Found 192.0.2.1 - 2025-11-25 06:19:28']);
  });
});
