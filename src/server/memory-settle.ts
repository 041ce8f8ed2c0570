import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps the daemon's resident size near what it really holds.
 *
 * A log burst (a scan of 100k addresses, a catch-up) leaves tens of MB of dead decoded chunks,
 * promoted line objects and outgrown buffers; V8 only frees them at its next full GC, which an
 * idle daemon never reaches (its old-generation limit starts far above a daemon's live size, and
 * the memory reducer waits for a full GC first). So once the resident size has grown by
 * `growthMiB` and then held still for one period, run one full GC. The young generation is also
 * kept at its start size: it otherwise doubles to 32 MiB during a burst and is never shrunk
 * after one (a scavenge of a few MiB costs well under a millisecond).
 */
export interface MemorySettleOptions {
  /** Sampling period, ms (default 500). */
  periodMs?: number;
  /** Growth since the last settle that is worth a GC, MiB (default 16). */
  growthMiB?: number;
}

export class MemorySettle {
  private timer: NodeJS.Timeout | null = null;
  private gc: (() => void) | null = null;
  private base = 0;
  private prev = 0;
  /** How many GCs it ran (for tests and the log). */
  runs = 0;

  constructor(private readonly opts: MemorySettleOptions = {}) {}

  start(): void {
    if (this.timer) return;
    setFlagsFromString('--semi-space-growth-factor=1');
    this.base = this.prev = process.memoryUsage.rss();
    this.timer = setInterval(() => {
      this.sample();
    }, this.opts.periodMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sample: GC when grown past the threshold and steady since the previous sample. */
  sample(rss = process.memoryUsage.rss()): boolean {
    const MiB = 2 ** 20;

    const steady = Math.abs(rss - this.prev) < MiB;
    this.prev = rss;
    if (rss < this.base) this.base = rss;
    if (!steady || rss - this.base < (this.opts.growthMiB ?? 16) * MiB) return false;
    this.collect();
    this.base = this.prev = process.memoryUsage.rss();
    return true;
  }

  private collect(): void {
    if (!this.gc) {
      // the gc() extension is installed in contexts created after the flag is set
      setFlagsFromString('--expose-gc');
      this.gc = runInNewContext('gc') as () => void;
    }
    this.gc();
    this.runs++;
  }
}
