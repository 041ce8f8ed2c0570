import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailWindow, type FailEntry, type FailInput } from './fail-window.js';
import { pyRound } from './py-expr.js';

const fail = (id: string, time: number, extra: Partial<FailInput> = {}): FailInput => ({
  id,
  ip: id,
  time,
  matches: [`line ${time}`],
  fields: {},
  ...extra,
});

describe('FailWindow', () => {
  it('returns the entry at the maxretry-th failure and forgets it', () => {
    const w = new FailWindow({ maxretry: 3, maxmatches: 3, findtime: 600 });
    expect(w.add(fail('1.2.3.4', 100), 1, 100)).toBeNull();
    expect(w.add(fail('1.2.3.4', 110), 1, 110)).toBeNull();
    expect(w.size).toBe(1);
    const e = w.add(fail('1.2.3.4', 120), 1, 120);
    expect(e).not.toBeNull();
    expect(e!.retry).toBe(3);
    expect(e!.failures).toBe(3);
    expect(e!.first).toBe(100);
    expect(e!.last).toBe(120);
    expect(e!.matches).toEqual(['line 100', 'line 110', 'line 120']);
    expect(w.size).toBe(0);
    expect(w.totalFailed).toBe(3);
  });

  it('bans at once when a single failure is worth maxretry', () => {
    const w = new FailWindow({ maxretry: 3, maxmatches: 3, findtime: 600 });
    expect(w.add(fail('a', 1), 5, 1)?.retry).toBe(5);
    expect(w.size).toBe(0);
    expect(w.totalFailed).toBe(1);
  });

  it('rescales the retry count to the rate inside findtime (banker rounding)', () => {
    // findtime 600: retry 3 (first 0, last 500); at 720 the first failure left the window:
    // round(3 / 720 * 600) = round(2.5) = 2 (half-up would say 3), then +1
    const w = new FailWindow({ maxretry: 100, maxmatches: 10, findtime: 600 });
    w.add(fail('x', 0), 2, 0);
    w.add(fail('x', 500), 1, 500);
    expect(w.get('x')!.retry).toBe(3);
    w.add(fail('x', 720), 1, 720);
    expect(w.get('x')!.retry).toBe(3);
    expect(w.get('x')!.first).toBe(120);
    expect(w.get('x')!.last).toBe(720);
    expect(w.get('x')!.failures).toBe(3);

    // findtime 700: retry 5, at 1000: round(5 / 1000 * 700) = round(3.5) = 4 (even), +1
    const v = new FailWindow({ maxretry: 100, maxmatches: 10, findtime: 700 });
    v.add(fail('y', 0), 4, 0);
    v.add(fail('y', 600), 1, 600);
    v.add(fail('y', 1000), 1, 1000);
    expect(v.get('y')!.retry).toBe(5);
    expect(v.get('y')!.first).toBe(300);
  });

  it('rescales with the fail2ban example numbers (findtime 600)', () => {
    const w = new FailWindow({ maxretry: 100, maxmatches: 1, findtime: 600 });
    for (const t of [0, 100, 200, 300, 400]) w.add(fail('z', t), 1, t);
    w.add(fail('z', 900), 1, 900); // round(5/900*600) = round(3.33) = 3, +1
    expect(w.get('z')!.retry).toBe(4);
    expect(w.get('z')!.first).toBe(300);
    expect(w.get('z')!.matches).toEqual(['line 900']);
  });

  it('does not move the window for an older failure but still counts it', () => {
    const w = new FailWindow({ maxretry: 100, maxmatches: 5, findtime: 600 });
    w.add(fail('o', 500), 1, 500);
    w.add(fail('o', 450), 1, 500);
    const e = w.get('o')!;
    expect([e.first, e.last, e.retry, e.failures]).toEqual([500, 500, 2, 2]);
  });

  it("keeps only the latest maxmatches lines and the first failure's captured fields", () => {
    const w = new FailWindow({ maxretry: 10, maxmatches: 2, findtime: 600 });
    w.add(fail('u', 1, { fields: { user: 'root' } }), 1, 1);
    w.add(fail('u', 2, { fields: { user: 'admin', port: '22' } }), 1, 2);
    w.add(fail('u', 3), 1, 3);
    const e = w.get('u')!;
    expect(e.matches).toEqual(['line 2', 'line 3']);
    // as fail2ban's ticket: later failures bring lines and attempts, not values
    expect(e.fields).toEqual({ user: 'root' });
    const later = new FailWindow({ maxretry: 10, maxmatches: 2, findtime: 600 });
    later.add(fail('v', 1), 1, 1);
    later.add(fail('v', 2, { fields: { user: 'postmaster' } }), 1, 2);
    expect(later.get('v')!.fields).toBeNull();
    const none = new FailWindow({ maxretry: 10, maxmatches: 0, findtime: 600 });
    none.add(fail('n', 1), 1, 1);
    none.add(fail('n', 2), 1, 2);
    expect(none.get('n')!.matches).toBeNull();
  });

  it('drops entries whose last failure is <= now - findtime', () => {
    const w = new FailWindow({ maxretry: 10, maxmatches: 1, findtime: 600 });
    w.add(fail('a', 100), 1, 100);
    w.add(fail('b', 200), 1, 200);
    w.add(fail('a', 300), 1, 300); // a refreshed
    expect(w.cleanup(799)).toBe(0);
    expect(w.cleanup(800)).toBe(1); // b: 200 <= 800 - 600
    expect(w.get('b')).toBeUndefined();
    expect(w.get('a')).toBeDefined();
    expect(w.cleanup(900)).toBe(1);
    expect(w.size).toBe(0);
    // a stale entry is gone before a new failure arrives: it starts over
    w.add(fail('c', 1000), 1, 1000);
    w.add(fail('c', 1600), 1, 1600);
    expect(w.get('c')!.retry).toBe(1);
    expect(w.totalFailed).toBe(5);
  });

  it('agrees with a full-scan reference model on random workloads', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.integer({ min: 0, max: 15 }),
            dt: fc.integer({ min: 0, max: 120 }),
            back: fc.integer({ min: 0, max: 60 }),
          }),
          {
            maxLength: 300,
          },
        ),
        fc.integer({ min: 2, max: 6 }),
        (ops, maxretry) => {
          const findtime = 300;
          const w = new FailWindow({ maxretry, maxmatches: 2, findtime });
          const ref = new Map<string, { first: number; last: number; retry: number }>();
          let now = 0;
          for (const op of ops) {
            now += op.dt;
            const time = now - op.back;
            const id = `10.0.0.${op.id}`;
            // reference: sweep everything stale, then apply the FailManager rules
            for (const [k, v] of ref) if (v.last <= now - findtime) ref.delete(k);
            let r = ref.get(id);
            let banned = false;
            if (!r) {
              r = { first: time, last: time, retry: 1 };
              ref.set(id, r);
            } else {
              if (time > r.last) {
                if (r.first < time - findtime) {
                  const x = (r.retry / (time - r.first)) * findtime;
                  const fl = Math.floor(x);
                  r.retry = x - fl === 0.5 ? (fl % 2 === 0 ? fl : fl + 1) : Math.round(x);
                  r.first = time - findtime;
                }
                r.last = time;
              }
              r.retry += 1;
            }
            if (r.retry >= maxretry) {
              ref.delete(id);
              banned = true;
            }
            const got = w.add({ id, ip: id, time, matches: [], fields: {} }, 1, now);
            expect(got !== null).toBe(banned);
            expect(w.size).toBe(ref.size);
            for (const [k, v] of ref) expect(w.get(k)?.retry).toBe(v.retry);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('FailWindow records (ids, addresses, fields, lines)', () => {
  it('keeps a differing address, fields equal to the id, non-ASCII ids and lines', () => {
    const w = new FailWindow({ maxretry: 3, maxmatches: 2, findtime: 600 });
    w.add({ id: 'jürgen', ip: null, time: 1, matches: ['α line'], fields: { user: 'jürgen' } }, 1, 1);
    w.add({ id: 'jürgen', ip: '2001:db8::1', time: 2, matches: [], fields: { ip6: '2001:db8::1' } }, 1, 2);
    expect(w.get('jürgen')).toMatchObject({
      ip: '2001:db8::1',
      matches: ['α line'],
      fields: { user: 'jürgen' },
    });
    expect(w.get('jurgen')).toBeUndefined();
    w.add(
      {
        id: '10.0.0.1',
        ip: '10.0.0.1',
        time: 1,
        matches: ['from 10.0.0.1 to 10.0.0.1', '10.0.0.1'],
        fields: {},
      },
      1,
      1,
    );
    expect(w.get('10.0.0.1')?.matches).toEqual(['from 10.0.0.1 to 10.0.0.1', '10.0.0.1']);
    const e = w.add({ id: 'jürgen', ip: '192.0.2.1', time: 3, matches: ['β', 'γ', 'δ'], fields: {} }, 1, 3);
    // the address seen first stays; only the latest maxmatches lines
    expect(e).toMatchObject({ id: 'jürgen', ip: '2001:db8::1', failures: 3, matches: ['γ', 'δ'] });
    expect(w.size).toBe(1);
  });

  it('agrees with a plain-object model under random adds, deletes and expiry', () => {
    type Ref = Omit<FailEntry, 'id' | 'fields'> & { fields: Record<string, string> | null };
    const ids = ['10.0.0.1', '10.0.0.22', '2001:db8::abcd:1', 'user@example.org', 'ü', ''];
    const op = fc.record({
      id: fc.integer({ min: 0, max: ids.length - 1 }),
      kind: fc.constantFrom('add', 'add', 'add', 'delete'),
      dt: fc.integer({ min: 0, max: 90 }),
      ip: fc.constantFrom<'none' | 'id' | 'other'>('none', 'id', 'other'),
      // lines that carry the id (as log lines do) and lines that do not
      lines: fc.array(
        fc.oneof(
          fc.string({ maxLength: 30 }),
          fc
            .tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))
            .map(([x, y]) => `${x}\u0000ID${y}`),
        ),
        { maxLength: 3 },
      ),
      fields: fc.dictionary(fc.constantFrom('user', 'port', 'ip4', 'f-x'), fc.string({ maxLength: 12 }), {
        maxKeys: 2,
      }),
      sameAsId: fc.boolean(),
      count: fc.integer({ min: 1, max: 2 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 0, max: 3 }), (ops, maxmatches) => {
        const findtime = 200;
        const maxretry = 5;
        const w = new FailWindow({ maxretry, maxmatches, findtime });
        const ref = new Map<string, Ref>();
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          const id = ids[o.id]!;
          for (const [k, v] of ref) if (v.last <= now - findtime) ref.delete(k);
          w.cleanup(now);
          if (o.kind === 'delete') {
            expect(w.delete(id)).toBe(ref.delete(id));
            continue;
          }
          const ip = o.ip === 'none' ? null : o.ip === 'id' ? id : '198.51.100.7';
          const lines = o.lines.map((l) => l.replace('\u0000ID', id));
          const fields: Record<string, string> = { ...o.fields };
          if (o.sameAsId) fields.ip4 = id;
          let r = ref.get(id);
          if (!r) {
            // the first failure's captured values are the entry's for good
            const first = Object.keys(fields).length > 0 ? { ...fields } : null;
            r = { ip, first: now, last: now, retry: 0, failures: 0, matches: null, fields: first };
            ref.set(id, r);
          } else {
            if (r.first < now - findtime) {
              r.retry = pyRound((r.retry / (now - r.first)) * findtime);
              r.first = now - findtime;
            }
            r.last = now;
            if (r.ip === null) r.ip = ip;
          }
          r.retry += o.count;
          r.failures++;
          if (maxmatches > 0 && lines.length > 0)
            r.matches = [...(r.matches ?? []), ...lines].slice(-maxmatches);
          if (maxmatches === 0) r.matches = null;
          const got = w.add({ id, ip, time: now, matches: lines, fields }, o.count, now);
          if (r.retry >= maxretry) {
            ref.delete(id);
            expect(got).toEqual({ id, ...r });
          } else expect(got).toBeNull();
          expect(w.size).toBe(ref.size);
          for (const [k, v] of ref) expect(w.get(k)).toEqual({ id: k, ...v });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('holds many ids through growth, removal and record compaction', () => {
    const w = new FailWindow({ maxretry: 1000, maxmatches: 3, findtime: 1e9 });
    const N = 20_000;
    for (let round = 0; round < 3; round++)
      for (let i = 0; i < N; i++) {
        const id = `10.${i >> 8}.${i & 255}.${round}`.slice(0, -2);
        w.add(
          {
            id,
            ip: id,
            time: round,
            matches: [`r${round} ${id} ${'x'.repeat(i % 50)}`],
            fields: { n: String(i) },
          },
          1,
          round,
        );
      }
    for (let i = 0; i < N; i += 2) expect(w.delete(`10.${i >> 8}.${i & 255}`)).toBe(true);
    expect(w.size).toBe(N / 2);
    for (let i = 1; i < N; i += 2) {
      const id = `10.${i >> 8}.${i & 255}`;
      const e = w.get(id)!;
      expect(e.retry).toBe(3);
      expect(e.fields).toEqual({ n: String(i) });
      expect(e.matches).toEqual([0, 1, 2].map((r) => `r${r} ${id} ${'x'.repeat(i % 50)}`));
    }
    expect(w.get('10.0.0')).toBeUndefined();
  });
});
