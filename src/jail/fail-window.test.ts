import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailWindow, type FailInput } from './fail-window.js';

const fail = (id: string, time: number, extra: Partial<FailInput> = {}): FailInput => ({ id, ip: id, time, matches: [`line ${time}`], fields: {}, ...extra });

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

  it('keeps only the latest maxmatches lines and merges captured fields (first value wins)', () => {
    const w = new FailWindow({ maxretry: 10, maxmatches: 2, findtime: 600 });
    w.add(fail('u', 1, { fields: { user: 'root' } }), 1, 1);
    w.add(fail('u', 2, { fields: { user: 'admin', port: '22' } }), 1, 2);
    w.add(fail('u', 3), 1, 3);
    const e = w.get('u')!;
    expect(e.matches).toEqual(['line 2', 'line 3']);
    expect(e.fields).toEqual({ user: 'root', port: '22' });
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
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 15 }), dt: fc.integer({ min: 0, max: 120 }), back: fc.integer({ min: 0, max: 60 }) }), {
          maxLength: 300,
        }),
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
