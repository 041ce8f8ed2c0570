import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BanTicket } from '../core/failure.js';
import { BanList, endOfBan } from './ban-list.js';

process.env.TZ = 'UTC';

const ticket = (id: string, time: number, bantime: number): BanTicket => ({
  jail: 'sshd',
  id,
  ip: id,
  time,
  bantime,
  banCount: 0,
  failures: 1,
  matches: [],
  fields: {},
  restored: false,
});

describe('BanList', () => {
  it('bans until ticket time + bantime and unbans strictly after the end', () => {
    const b = new BanList();
    expect(b.add(ticket('1.1.1.1', 1000, 600), 1200).status).toBe('added');
    expect(b.nextExpiry()).toBe(1600);
    expect(b.popExpired(1600)).toEqual([]);
    expect(b.popExpired(1600.5).map((t) => t.id)).toEqual(['1.1.1.1']);
    expect(b.size).toBe(0);
    expect(b.totalBanned).toBe(1);
    expect(b.nextExpiry()).toBeNull();
  });

  it('rejects tickets whose ban is already over', () => {
    const b = new BanList();
    expect(b.add(ticket('a', 1000, 600), 1601).status).toBe('expired');
    expect(b.add(ticket('a', 1000, 600), 1600).status).toBe('added');
    expect(b.totalBanned).toBe(1);
  });

  it('treats every negative bantime as permanent (-1 and -10)', () => {
    const b = new BanList();
    expect(b.add(ticket('p1', 0, -1), 1e9).status).toBe('added');
    expect(b.add(ticket('p10', 0, -10), 1e9).status).toBe('added');
    expect(endOfBan(ticket('p10', 0, -10))).toBe(Infinity);
    expect(b.nextExpiry()).toBeNull();
    expect(b.popExpired(1e12)).toEqual([]);
    expect(b.size).toBe(2);
  });

  it('prolongs an existing ban when the new end is later, else keeps it', () => {
    const b = new BanList();
    const first = ticket('x', 1000, 600);
    b.add(first, 1000);
    const r1 = b.add(ticket('x', 1100, 100), 1100); // ends 1200 < 1600
    expect(r1.status).toBe('exists');
    const r2 = b.add(ticket('x', 1300, 600), 1300); // ends 1900
    expect(r2).toEqual({ status: 'prolonged', ticket: first });
    expect(first.time).toBe(1000);
    expect(first.bantime).toBe(900);
    expect(b.nextExpiry()).toBe(1900);
    expect(b.popExpired(1700)).toEqual([]);
    expect(b.popExpired(1901)).toEqual([first]);
    // prolonged to permanent
    const c = ticket('y', 0, 10);
    b.add(c, 0);
    expect(b.add(ticket('y', 5, -1), 5).status).toBe('prolonged');
    expect(c.bantime).toBe(-1);
    expect(b.popExpired(1e9)).toEqual([]);
    expect(b.totalBanned).toBe(2);
  });

  it('lists ids by end of ban and formats --with-time like fail2ban', () => {
    const b = new BanList();
    b.add(ticket('192.0.2.10', 1764051568, 600), 1764051568);
    b.add(ticket('192.0.2.11', 1764051000, -1), 1764051568);
    b.add(ticket('192.0.2.12', 1764051500, 60), 1764051500);
    expect(b.ids()).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12']);
    expect(b.orderedIds()).toEqual(['192.0.2.12', '192.0.2.10', '192.0.2.11']);
    expect(b.withTime()).toEqual([
      '192.0.2.12 \t2025-11-25 06:18:20 + 60 = 2025-11-25 06:19:20',
      '192.0.2.10 \t2025-11-25 06:19:28 + 600 = 2025-11-25 06:29:28',
      '192.0.2.11 \t2025-11-25 06:10:00 + -1 = 9999-12-31 23:59:59',
    ]);
  });

  it('removes by id, by predicate and all', () => {
    const b = new BanList();
    for (const id of ['10.0.0.1', '10.0.0.2', '10.1.0.1', '2001:db8::1']) b.add(ticket(id, 0, 100), 0);
    expect(b.remove('10.0.0.9')).toBeNull();
    expect(b.remove('10.0.0.1')?.id).toBe('10.0.0.1');
    expect(b.removeWhere((id) => id.startsWith('10.')).map((t) => t.id)).toEqual(['10.0.0.2', '10.1.0.1']);
    expect(b.removeAll().map((t) => t.id)).toEqual(['2001:db8::1']);
    expect(b.size).toBe(0);
    expect(b.nextExpiry()).toBeNull();
    expect(b.popExpired(1e9)).toEqual([]);
  });

  it('expires 10k random tickets in the same order as a sorted reference', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            time: fc.integer({ min: 0, max: 100_000 }),
            bantime: fc.oneof(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom(-1, -10)),
            unban: fc.boolean(),
          }),
          { minLength: 10_000, maxLength: 10_000 },
        ),
        fc.integer({ min: 500, max: 20_000 }),
        (specs, step) => {
          const b = new BanList();
          const live = new Map<string, number>();
          specs.forEach((s, i) => {
            const id = `id${i}`;
            expect(b.add(ticket(id, s.time, s.bantime), 0).status).toBe('added');
            live.set(id, s.bantime < 0 ? Infinity : s.time + s.bantime);
          });
          // some unbanned by hand first: they must never come out of the heap
          specs.forEach((s, i) => {
            if (s.unban && i % 7 === 0) {
              b.remove(`id${i}`);
              live.delete(`id${i}`);
            }
          });
          const reference = [...live.entries()].filter(([, end]) => end !== Infinity).sort((x, y) => x[1] - y[1]);
          const popped: [string, number][] = [];
          for (let now = 0; now <= 150_000 + step; now += step) {
            const next = b.nextExpiry();
            const batch = b.popExpired(now, 1000);
            for (const t of batch) {
              expect(now > endOfBan(t)).toBe(true);
              popped.push([t.id, endOfBan(t)]);
            }
            if (batch.length && next !== null) expect(endOfBan(batch[0]!)).toBe(next);
            if (batch.length === 1000) now -= step; // limit hit: same instant again
          }
          expect(popped.map(([, e]) => e)).toEqual(reference.map(([, e]) => e));
          expect(new Set(popped.map(([id]) => id))).toEqual(new Set(reference.map(([id]) => id)));
          expect(b.size).toBe(live.size - reference.length);
        },
      ),
      { numRuns: 5, endOnFailure: true },
    );
  });
});
