/** Time enters pure code only through a Clock, so replays and tests can fix "now". */
export interface Clock {
  /** Epoch seconds, with fraction. */
  now(): number;
}

/**
 * The wall clock with sub-millisecond digits, as Python's time.time(): a ban by command carries
 * "now" to actions as `<time>` (fail2ban 1.0.2: `1796355345.1499133`, not `1796355345.149`).
 * The monotonic timer gives the digits; it is pulled back to Date.now() whenever the two part by
 * a millisecond (clock steps, drift), so the value never strays further from the wall clock.
 */
function preciseNow(): () => number {
  // performance.now() is a plain double (no BigInt per call: the daemon reads the clock per line)
  let baseMs = Date.now();
  let baseMono = performance.now();
  return () => {
    const mono = performance.now();
    const wall = Date.now();
    let ms = baseMs + (mono - baseMono);
    if (Math.abs(ms - wall) >= 1) {
      baseMs = ms = wall;
      baseMono = mono;
    }
    return ms / 1000;
  };
}

export const systemClock: Clock = { now: preciseNow() };

const wallClock: Clock = { now: () => Date.now() / 1000 };

/**
 * `base`'s time read once per `tick()`: for readers of a log in batches of lines, where a clock
 * read per line cost ~3% of the run and a batch spans a few milliseconds.
 */
export function batchClock(base: Clock = wallClock): Clock & { tick(): void } {
  let t = base.now();
  return {
    now: () => t,
    tick: () => {
      t = base.now();
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
