/**
 * The BanStore contract, run against every implementation (memory-store.test.ts, sqlite-store.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BanTicket } from '../core/failure.js';
import type { BanStore } from './store.js';

export type ContractStore = BanStore & { jailStates(): Map<string, boolean> };

export interface StoreHarness<S extends ContractStore> {
  /** A fresh, empty store. */
  open(): S;
  /** Close and open the same store again (the server restarting). */
  reopen(s: S): S;
}

const NOW = 1_795_000_000;

export function ticket(over: Partial<BanTicket> = {}): BanTicket {
  return {
    jail: 'sshd',
    id: '192.0.2.10',
    ip: '192.0.2.10',
    time: NOW - 100,
    bantime: 600,
    banCount: 0,
    failures: 5,
    matches: ['m1', 'm2', 'm3'],
    fields: { user: 'root' },
    restored: false,
    ...over,
  };
}

export function defineBanStoreContract<S extends ContractStore>(name: string, h: StoreHarness<S>): void {
  describe(`BanStore contract: ${name}`, () => {
    let store: S | null = null;
    const open = (): S => (store = h.open());
    const reopen = (s: S): S => (store = h.reopen(s));
    afterEach(() => {
      store?.close();
      store = null;
    });

    it('restores a ban with its data, integer time and restored flag', () => {
      const s = open();
      s.addJail('sshd');
      s.addBan(ticket({ time: NOW - 100.4, banCount: 2 }), 10);
      const got = s.currentBans('sshd', NOW);
      expect(got).toEqual([
        {
          jail: 'sshd',
          id: '192.0.2.10',
          ip: '192.0.2.10',
          time: NOW - 100,
          bantime: 600,
          banCount: 2,
          failures: 5,
          matches: ['m1', 'm2', 'm3'],
          fields: { user: 'root' },
          restored: true,
        },
      ]);
      expect(s.currentBans('other', NOW)).toEqual([]);
    });

    it("restores in the order of the address text, as fail2ban's query (not ban time)", () => {
      const s = open();
      s.addBan(ticket({ id: '192.0.2.9', time: NOW - 30 }), 10);
      s.addBan(ticket({ id: '2001:db8::3', time: NOW - 20 }), 10);
      s.addBan(ticket({ id: '192.0.2.10', time: NOW - 10 }), 10);
      expect(s.currentBans('sshd', NOW).map((t) => t.id)).toEqual(['192.0.2.10', '192.0.2.9', '2001:db8::3']);
    });

    it('keeps only the last dbmaxmatches matches, none when 0', () => {
      const s = open();
      s.addBan(ticket({ id: '192.0.2.1' }), 2);
      s.addBan(ticket({ id: '192.0.2.2' }), 0);
      const [a, b] = s.currentBans('sshd', NOW);
      expect(a?.matches).toEqual(['m2', 'm3']);
      expect(b?.matches).toEqual([]);
      expect(b?.failures).toBe(5);
    });

    it('skips expired bans and restores a permanent ban with its own negative bantime', () => {
      const s = open();
      s.addBan(ticket({ id: '192.0.2.1', time: NOW - 700, bantime: 600 }), 10);
      s.addBan(ticket({ id: '192.0.2.2', time: NOW - 600, bantime: 600 }), 10); // ends exactly now
      s.addBan(ticket({ id: '192.0.2.3', time: NOW - 1e6, bantime: -1 }), 10);
      s.addBan(ticket({ id: '192.0.2.4', time: NOW - 1e6, bantime: -5 }), 10);
      s.addBan(ticket({ id: '192.0.2.5', time: NOW - 10, bantime: 600 }), 10);
      const got = s.currentBans('sshd', NOW).map((t) => [t.id, t.bantime]);
      expect(got).toEqual([
        ['192.0.2.3', -1],
        ['192.0.2.4', -5],
        ['192.0.2.5', 600],
      ]);
    });

    it('stores -2 (fail2ban\'s "bantime unknown") as -1; unknown rows restore with the jail\'s bantime', () => {
      const s = open();
      s.addBan(ticket({ id: '192.0.2.1', time: NOW - 1e6, bantime: -2 }), 10);
      expect(s.currentBans('sshd', NOW).map((t) => [t.id, t.bantime])).toEqual([['192.0.2.1', -1]]);
    });

    it('caps restored bantimes to maxBantime and drops those that then ended', () => {
      const s = open();
      s.addBan(ticket({ id: '192.0.2.1', time: NOW - 100, bantime: 3600 }), 10);
      s.addBan(ticket({ id: '192.0.2.2', time: NOW - 1000, bantime: 3600 }), 10);
      s.addBan(ticket({ id: '192.0.2.3', time: NOW - 1e6, bantime: -1 }), 10);
      const capped = s.currentBans('sshd', NOW, { maxBantime: 600, incrementEnabled: false });
      expect(capped.map((t) => [t.id, t.bantime])).toEqual([['192.0.2.1', 600]]);
      const uncapped = s.currentBans('sshd', NOW, { maxBantime: -1, incrementEnabled: true });
      expect(uncapped.map((t) => t.id).sort()).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    });

    it('keeps one latest ban per (id, jail) and reports it for bantime.increment', () => {
      const s = open();
      s.addBan(ticket({ time: NOW - 5000, bantime: 600, banCount: 0 }), 10);
      s.addBan(ticket({ time: NOW - 50, bantime: 1200, banCount: 1, matches: ['x'] }), 10);
      expect(s.currentBans('sshd', NOW).map((t) => [t.time, t.bantime, t.banCount, t.matches])).toEqual([
        [NOW - 50, 1200, 1, ['x']],
      ]);
      expect(s.previousBan('192.0.2.10', 'sshd')).toEqual({ banCount: 2, time: NOW - 50, bantime: 1200 });
      expect(s.previousBan('192.0.2.10', 'other')).toBeNull();
      expect(s.previousBan('198.51.100.1', null)).toBeNull();
    });

    it('sums previous bans over all jails when jail is null', () => {
      const s = open();
      s.addBan(ticket({ jail: 'sshd', time: NOW - 300, bantime: 600, banCount: 1 }), 10);
      s.addBan(ticket({ jail: 'dovecot', time: NOW - 100, bantime: 900, banCount: 0 }), 10);
      expect(s.previousBan('192.0.2.10', null)).toEqual({ banCount: 3, time: NOW - 100, bantime: 900 });
    });

    it('merges every ban of an id for <ipmatches>/<ipfailures>: oldest lines first, newest kept, failures summed', () => {
      const s = open();
      s.addBan(ticket({ jail: 'sshd', time: NOW - 300, failures: 2, matches: ['a1', 'a2'] }), 10);
      s.addBan(ticket({ jail: 'dovecot', time: NOW - 200, failures: 3, matches: ['b1', 'b2', 'b3'] }), 10);
      s.addBan(ticket({ jail: 'sshd', time: NOW - 100, failures: 1, matches: ['c1'] }), 10);
      s.addBan(ticket({ id: '198.51.100.1', ip: '198.51.100.1', failures: 9, matches: ['z'] }), 10);
      expect(s.mergedBans('192.0.2.10', null, 10)).toEqual({ matches: ['a1', 'a2', 'b1', 'b2', 'b3', 'c1'], failures: 6 });
      expect(s.mergedBans('192.0.2.10', 'sshd', 10)).toEqual({ matches: ['a1', 'a2', 'c1'], failures: 3 });
      // dbmaxmatches: the newest bans' lines win
      expect(s.mergedBans('192.0.2.10', null, 3)).toEqual({ matches: ['b2', 'b3', 'c1'], failures: 6 });
      expect(s.mergedBans('192.0.2.99', null, 10)).toBeNull();
    });

    it('removes a manually unbanned id from one jail or all jails', () => {
      const s = open();
      s.addBan(ticket({ jail: 'sshd' }), 10);
      s.addBan(ticket({ jail: 'dovecot' }), 10);
      s.addBan(ticket({ jail: 'sshd', id: '192.0.2.99' }), 10);
      s.removeBan('sshd', '192.0.2.10');
      expect(s.bannedIds('sshd')).toEqual(['192.0.2.99']);
      expect(s.bannedIds('dovecot')).toEqual(['192.0.2.10']);
      expect(s.previousBan('192.0.2.10', 'sshd')).toBeNull();
      s.addBan(ticket({ jail: 'sshd' }), 10);
      s.removeBan(null, '192.0.2.10');
      expect(s.bannedIds('sshd')).toEqual(['192.0.2.99']);
      expect(s.bannedIds('dovecot')).toEqual([]);
      expect(s.previousBan('192.0.2.10', null)).toBeNull();
    });

    it('removes all bans of a jail, or of every jail', () => {
      const s = open();
      s.addBans(
        [
          ticket({ jail: 'sshd', id: '192.0.2.1' }),
          ticket({ jail: 'sshd', id: '192.0.2.2' }),
          ticket({ jail: 'x', id: '192.0.2.3' }),
        ],
        10,
      );
      s.removeAllBans('sshd');
      expect(s.bannedIds('sshd')).toEqual([]);
      expect(s.bannedIds('x')).toEqual(['192.0.2.3']);
      s.removeAllBans(null);
      expect(s.bannedIds('x')).toEqual([]);
    });

    it('stores a ban storm in one call', () => {
      const s = open();
      const ts = Array.from({ length: 500 }, (_, i) =>
        ticket({ id: `10.0.${i >> 8}.${i & 255}`, matches: [`line ${i}`] }),
      );
      s.addBans(ts, 10);
      s.addBans([], 10);
      const got = s.currentBans('sshd', NOW);
      expect(got).toHaveLength(500);
      expect(got.find((t) => t.id === '10.0.1.44')?.matches).toEqual(['line 300']);
    });

    it('keeps non-address ids (F-ID) with ip null, and never lets fields shadow matches/failures', () => {
      const s = open();
      s.addBan(
        ticket({ id: 'user@example.org', ip: null, fields: { fid: 'x', matches: 'bogus', failures: '9' } }),
        10,
      );
      s.addBan(ticket({ id: '2001:DB8:0:0::1', ip: '2001:db8::1' }), 10);
      const got = s.currentBans('sshd', NOW);
      const byId = new Map(got.map((t) => [t.id, t]));
      expect(byId.get('user@example.org')).toMatchObject({
        ip: null,
        matches: ['m1', 'm2', 'm3'],
        failures: 5,
        fields: { fid: 'x' },
      });
      expect(byId.get('2001:DB8:0:0::1')?.ip).toBe('2001:db8::1');
    });

    it('round-trips log positions', () => {
      const s = open();
      expect(s.getLogPosition('sshd', '/var/log/auth.log')).toBeNull();
      s.setLogPosition('sshd', '/var/log/auth.log', { firstLineMd5: 'abc', pos: 10 });
      s.setLogPosition('sshd', '/var/log/auth.log', { firstLineMd5: 'def', pos: 20 });
      s.setLogPositions([
        { jail: 'sshd', path: '/var/log/b.log', pos: { firstLineMd5: '', pos: 5 } },
        { jail: 'x', path: '/var/log/auth.log', pos: { firstLineMd5: 'zzz', pos: 7 } },
      ]);
      expect(s.getLogPosition('sshd', '/var/log/auth.log')).toEqual({ firstLineMd5: 'def', pos: 20 });
      expect(s.getLogPosition('sshd', '/var/log/b.log')).toEqual({ firstLineMd5: '', pos: 5 });
      expect(s.getLogPosition('x', '/var/log/auth.log')).toEqual({ firstLineMd5: 'zzz', pos: 7 });
    });

    it('persists across reopen, where every jail starts disabled until added', () => {
      let s = open();
      s.addJail('sshd');
      s.addJail('old');
      s.addBan(ticket({ bantime: -1 }), 10);
      s.setLogPosition('sshd', '/l', { firstLineMd5: 'a', pos: 3 });
      s = reopen(s);
      expect(s.jailStates()).toEqual(
        new Map([
          ['sshd', false],
          ['old', false],
        ]),
      );
      s.addJail('sshd');
      expect(s.jailStates().get('sshd')).toBe(true);
      expect(s.currentBans('sshd', NOW + 1e7).map((t) => t.id)).toEqual(['192.0.2.10']);
      expect(s.getLogPosition('sshd', '/l')).toEqual({ firstLineMd5: 'a', pos: 3 });
    });

    it('tells which jails the server before left running (not disabled before the reopen)', () => {
      let s = open();
      s.addJail('crashed');
      s.addJail('stopped');
      s.disableJail('stopped');
      expect(s.jailStates()).toEqual(new Map([['crashed', true], ['stopped', false]]));
      s = reopen(s);
      expect([s.leftRunning('crashed'), s.leftRunning('stopped'), s.leftRunning('never')]).toEqual([true, false, false]);
      // once: a restart of the jail within this server has nothing of the server before to handle
      s.addJail('crashed');
      expect(s.leftRunning('crashed')).toBe(false);
      s.disableJail('crashed');
      s = reopen(s);
      expect(s.leftRunning('crashed')).toBe(false);
    });

    it('purges outdated latest bans, keeps permanent ones, drops disabled jails without bans', () => {
      let s = open();
      const age = 86_400;
      s.addJail('sshd');
      s.addJail('gone');
      s.addJail('keep');
      s.setLogPosition('gone', '/l', { firstLineMd5: 'a', pos: 1 });
      s.addBans(
        [
          // older than purgeAge and 3 bantimes out of date: purged
          ticket({ id: '192.0.2.1', time: NOW - age - 2000, bantime: 600 }),
          // older than purgeAge but 3 bantimes reach past the cutoff: kept
          ticket({ id: '192.0.2.2', time: NOW - age - 2000, bantime: 1000 }),
          // permanent: never purged
          ticket({ id: '192.0.2.3', time: NOW - 100 * age, bantime: -1 }),
          // recent: kept
          ticket({ id: '192.0.2.4', time: NOW - 10, bantime: 600 }),
          ticket({ jail: 'keep', id: '192.0.2.5', time: NOW - 10 }),
        ],
        10,
      );
      s = reopen(s); // all jails disabled now
      s.addJail('sshd');
      s.purge(NOW, age);
      expect(s.bannedIds('sshd')).toEqual(['192.0.2.2', '192.0.2.3', '192.0.2.4']);
      expect(s.jailStates()).toEqual(
        new Map([
          ['sshd', true],
          ['keep', false],
        ]),
      );
      expect(s.getLogPosition('gone', '/l')).toBeNull();
    });
  });
}
