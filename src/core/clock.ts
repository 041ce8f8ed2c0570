/** Time enters pure code only through a Clock, so replays and tests can fix "now". */
export interface Clock {
  /** Epoch seconds, with fraction. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() / 1000 };

/**
 * The system time read once per `tick()`: for a tool that reads a log in batches of lines, where
 * a clock read per line cost ~3% of the run and a batch spans a few milliseconds.
 */
export function batchClock(): Clock & { tick(): void } {
  let t = Date.now() / 1000;
  return {
    now: () => t,
    tick: () => {
      t = Date.now() / 1000;
    },
  };
}

export function fixedClock(epochSeconds: number): Clock & { set(t: number): void; advance(s: number): void } {
  let t = epochSeconds;
  return {
    now: () => t,
    set: (v: number) => {
      t = v;
    },
    advance: (s: number) => {
      t += s;
    },
  };
}
