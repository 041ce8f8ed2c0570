/** Time enters pure code only through a Clock, so replays and tests can fix "now". */
export interface Clock {
  /** Epoch seconds, with fraction. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() / 1000 };

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
