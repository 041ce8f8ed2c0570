/**
 * Per-jail counters. `jail(name)` hands out the live counter object so hot paths (one increment
 * per log line) pay a property write, not a map lookup; `snapshot()` copies for readers.
 */

export const COUNTER_KEYS = ['linesRead', 'failures', 'bans', 'unbans'] as const;
export type CounterKey = (typeof COUNTER_KEYS)[number];
export type JailCounters = Record<CounterKey, number>;

export interface MetricsSnapshot {
  /** Epoch seconds the registry was created or reset. */
  since: number;
  /** Sorted by jail name. */
  jails: Record<string, JailCounters>;
  totals: JailCounters;
}

function zero(): JailCounters {
  return { linesRead: 0, failures: 0, bans: 0, unbans: 0 };
}

export class Metrics {
  private readonly jails = new Map<string, JailCounters>();
  private since: number;

  constructor(private readonly now: () => number = () => Date.now() / 1000) {
    this.since = now();
  }

  /** The live counters of a jail (created at zero). Mutate freely: `m.jail('sshd').linesRead += n`. */
  jail(name: string): JailCounters {
    let c = this.jails.get(name);
    if (!c) this.jails.set(name, (c = zero()));
    return c;
  }

  add(jail: string, key: CounterKey, n = 1): void {
    this.jail(jail)[key] += n;
  }

  /** Forget a jail (removed by reload/stop). */
  remove(jail: string): void {
    this.jails.delete(jail);
  }

  reset(): void {
    this.jails.clear();
    this.since = this.now();
  }

  snapshot(): MetricsSnapshot {
    const jails: Record<string, JailCounters> = {};
    const totals = zero();
    for (const name of [...this.jails.keys()].sort()) {
      const c = { ...this.jails.get(name)! };
      jails[name] = c;
      for (const k of COUNTER_KEYS) totals[k] += c[k];
    }
    return { since: this.since, jails, totals };
  }

  /** Prometheus text exposition (counters with a `jail` label), for a future /metrics endpoint. */
  toPrometheus(prefix = 'logjail'): string {
    const snap = this.snapshot();
    const names: Record<CounterKey, string> = {
      linesRead: 'lines_read_total',
      failures: 'failures_total',
      bans: 'bans_total',
      unbans: 'unbans_total',
    };
    const out: string[] = [];
    for (const k of COUNTER_KEYS) {
      const metric = `${prefix}_${names[k]}`;
      out.push(`# TYPE ${metric} counter`);
      for (const [jail, c] of Object.entries(snap.jails)) {
        out.push(`${metric}{jail="${jail.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n')}"} ${c[k]}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
