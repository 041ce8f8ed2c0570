import { afterEach, describe, expect, it, vi } from 'vitest';
import { batchClock } from './clock.js';

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
