import { describe, expect, it } from 'vitest';
import { MlfidCache, mergeIntoSession, newFailData } from './mlfid.js';

describe('MlfidCache', () => {
  it('expires entries after maxTime and caps the size', () => {
    const c = new MlfidCache(2, 300);
    c.set('a', newFailData({}), 0);
    expect(c.get('a', 299)).toBeDefined();
    expect(c.get('a', 300)).toBeUndefined();
    c.set('a', newFailData({}), 0);
    c.set('b', newFailData({}), 1);
    c.set('c', newFailData({}), 2);
    expect(c.size).toBe(2);
    expect(c.get('a', 3)).toBeUndefined();
    expect(c.get('c', 3)).toBeDefined();
  });

  it('behaves like fail2ban\'s cache (oldest first out) over a long random run', () => {
    // the model: a Map in insertion order, purged from its front on every set, as fail2ban does
    const model = new Map<string, { v: number; expires: number }>();
    const modelSet = (k: string, v: number, now: number): void => {
      model.delete(k);
      for (const [key, e] of model) {
        if (e.expires > now && model.size < 5) break;
        model.delete(key);
      }
      model.set(k, { v, expires: now + 30 });
    };
    const modelGet = (k: string, now: number): number | undefined => {
      const e = model.get(k);
      if (!e) return undefined;
      if (e.expires <= now) {
        model.delete(k);
        return undefined;
      }
      return e.v;
    };
    const c = new MlfidCache(5, 30);
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    let now = 0;
    const seen: (number | undefined)[] = [];
    for (let i = 0; i < 20_000; i++) {
      now += rnd(3);
      // a few hot keys (replaced over and over behind long-lived ones) and many cold ones
      const k = rnd(4) === 0 ? `hot${String(rnd(2))}` : `k${String(rnd(8))}`;
      const op = rnd(10);
      if (op < 5) {
        const data = newFailData({ v: String(i) });
        c.set(k, data, now);
        modelSet(k, i, now);
      } else if (op < 9) {
        const got = c.get(k, now)?.groups.v;
        const want = modelGet(k, now);
        expect(got === undefined ? undefined : Number(got)).toBe(want);
        seen.push(want);
      } else {
        c.delete(k);
        model.delete(k);
      }
      expect(c.size).toBe(model.size);
    }
    // the run exercised both hits and misses
    expect(seen.filter((x) => x !== undefined).length).toBeGreaterThan(1000);
    expect(seen.filter((x) => x === undefined).length).toBeGreaterThan(1000);
  });
  it('clear empties the cache, which then fills again to its cap', () => {
    const c = new MlfidCache(3, 300);
    for (const k of ['a', 'b', 'c']) c.set(k, newFailData({ k }), 0);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.get('a', 0)).toBeUndefined();
    for (const k of ['d', 'e', 'f', 'g']) c.set(k, newFailData({ k }), 1);
    expect(c.size).toBe(3);
    expect(c.get('d', 1)).toBeUndefined();
    expect(c.get('g', 1)?.groups.k).toBe('g');
  });
});

describe('mergeIntoSession', () => {
  it('collects no-failure lines and hands them over to the failure', () => {
    const c = new MlfidCache();
    const a = mergeIntoSession(c, 's', newFailData({ nofail: 'x', ip4: '192.0.2.1' }), ['l1'], 0);
    expect(a.groups.nofail).toBe('x');
    expect(a.nofailMatches).toEqual(['l1']);
    const b = mergeIntoSession(c, 's', newFailData({ user: 'u' }), ['l2'], 0);
    expect(b.groups.nofail).toBeUndefined();
    expect(b.groups.ip4).toBe('192.0.2.1');
    expect(b.matches).toEqual(['l1', 'l2']);
  });

  it('forget removes the session', () => {
    const c = new MlfidCache();
    mergeIntoSession(c, 's', newFailData({ ip4: '192.0.2.1' }), ['l1'], 0);
    mergeIntoSession(c, 's', newFailData({ mlfforget: 'bye' }), ['l2'], 0);
    expect(c.get('s', 0)).toBeUndefined();
  });

  it('an already reported failure does not count its lines twice', () => {
    const c = new MlfidCache();
    mergeIntoSession(c, 's', newFailData({ ip4: '192.0.2.1' }), ['l1'], 0);
    const second = mergeIntoSession(c, 's', newFailData({}), ['l2'], 0);
    expect(second.matches).toEqual(['l2']);
  });
});
