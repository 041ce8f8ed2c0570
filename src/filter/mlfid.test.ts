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
