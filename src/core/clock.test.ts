import { afterEach, describe, expect, it, vi } from 'vitest';
import { batchClock, systemClock } from './clock.js';

describe('batchClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps one reading until tick() takes the next', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const c = batchClock();
    expect(c.now()).toBe(1000);
    vi.setSystemTime(1_002_500);
    expect(c.now()).toBe(1000);
    c.tick();
    expect(c.now()).toBe(1002.5);
  });
});

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("has sub-millisecond digits, as Python's time.time() (a banip's <time>)", async () => {
    const fractions = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const before = Date.now();
      const t = systemClock.now();
      expect(t * 1000).toBeGreaterThanOrEqual(before - 1);
      expect(t * 1000).toBeLessThan(Date.now() + 1);
      fractions.add(Math.round(t * 1e6) % 1000);
      await new Promise((r) => setTimeout(r, 1));
    }
    // whole milliseconds would always end in 000 microseconds
    expect([...fractions].some((us) => us !== 0)).toBe(true);
  });

  it('follows a step of the wall clock', () => {
    vi.useFakeTimers({ now: 5_000_000, toFake: ['Date'] });
    expect(Math.abs(systemClock.now() - 5000)).toBeLessThan(0.001);
    vi.setSystemTime(9_000_000);
    expect(Math.abs(systemClock.now() - 9000)).toBeLessThan(0.001);
  });
});
