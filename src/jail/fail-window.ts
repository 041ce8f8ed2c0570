import { pyRound } from './py-expr.js';

/**
 * fail2ban's FailManager (anatomy §3.2): per-id failure tickets counted as a *rate* inside
 * findtime rather than a list of timestamps.
 *
 * Expiry of stale entries (last failure <= now - findtime) uses a min-heap with exactly one
 * node per entry, keyed by the entry's last failure time when the node was pushed. A node
 * whose entry got newer failures is re-pushed with the new time when it surfaces, so the
 * cost is O(log n) per expired or refreshed entry and a plain O(1) peek per added failure —
 * no periodic scan over all ids. Stale entries therefore vanish as soon as they are due
 * (fail2ban sweeps every ~5 s; same result, without the nondeterministic delay).
 */

export interface FailInput {
  id: string;
  ip: string | null;
  /** Epoch seconds; the caller clamps future times to now. */
  time: number;
  matches: readonly string[];
  fields: Readonly<Record<string, string>>;
}

export class FailEntry {
  /** Heap key: `last` as of the moment this entry's heap node was (re)pushed. */
  heapKey: number;
  constructor(
    readonly id: string,
    public ip: string | null,
    public first: number,
    public last: number,
    /** Retry count compared with maxretry (rescaled, may exceed the number of failures). */
    public retry: number,
    /** Number of failures (attempts) really seen. */
    public failures: number,
    /** Latest matched lines, at most maxmatches (null when none kept). */
    public matches: string[] | null,
    /**
     * Captured values; the first value of a field wins (later failures add new fields only).
     * May be the failure's own object: treat as read-only.
     */
    public fields: Readonly<Record<string, string>> | null,
  ) {
    this.heapKey = last;
  }
}

export interface FailWindowOptions {
  maxretry: number;
  maxmatches: number;
  findtime: number;
}

export class FailWindow {
  maxretry: number;
  maxmatches: number;
  findtime: number;
  private readonly map = new Map<string, FailEntry>();
  private readonly heap: FailEntry[] = [];
  private total = 0;

  constructor(opts: FailWindowOptions) {
    this.maxretry = opts.maxretry;
    this.maxmatches = opts.maxmatches;
    this.findtime = opts.findtime;
  }

  /** "Currently failed". */
  get size(): number {
    return this.map.size;
  }

  /** "Total failed": failures ever added. */
  get totalFailed(): number {
    return this.total;
  }

  get(id: string): Readonly<FailEntry> | undefined {
    return this.map.get(id);
  }

  /**
   * Count one failure worth `count` retries at `now`. Returns the entry (already removed)
   * when its retry count reached maxretry — the caller bans it — else null.
   */
  add(f: FailInput, count: number, now: number): FailEntry | null {
    this.cleanup(now);
    this.total++;
    const e = this.map.get(f.id);
    if (!e) {
      const matches = this.maxmatches > 0 && f.matches.length > 0 ? f.matches.slice(-this.maxmatches) : null;
      // shared with the failure (never mutated in place: merging below copies first)
      const fields = hasKeys(f.fields) ? f.fields : null;
      const n = new FailEntry(f.id, f.ip, f.time, f.time, Math.max(count, 1), 1, matches, fields);
      return this.admit(n);
    }
    if (f.time > e.last) {
      // rescale the count to the rate inside the window when the first failure fell out of it
      if (e.first < f.time - this.findtime) {
        e.retry = pyRound((e.retry / (f.time - e.first)) * this.findtime);
        e.first = f.time - this.findtime;
      }
      e.last = f.time;
    }
    e.retry += count;
    e.failures += 1;
    if (e.ip === null) e.ip = f.ip;
    if (this.maxmatches > 0) {
      if (f.matches.length > 0) {
        const merged = e.matches ? e.matches.concat(f.matches) : f.matches.slice();
        e.matches = merged.length > this.maxmatches ? merged.slice(-this.maxmatches) : merged;
      }
    } else e.matches = null;
    if (hasKeys(f.fields)) {
      const cur = e.fields;
      if (!cur) e.fields = f.fields;
      else {
        let merged: Record<string, string> | null = null;
        for (const k in f.fields) {
          if (k in cur) continue;
          merged ??= { ...cur };
          merged[k] = f.fields[k]!;
        }
        if (merged) e.fields = merged;
      }
    }
    if (e.retry >= this.maxretry) {
      this.map.delete(e.id);
      return e;
    }
    return null;
  }

  private admit(n: FailEntry): FailEntry | null {
    if (n.retry >= this.maxretry) return n; // banned at once, never tracked
    this.map.set(n.id, n);
    this.push(n);
    return null;
  }

  delete(id: string): boolean {
    return this.map.delete(id);
  }

  clear(): void {
    this.map.clear();
    this.heap.length = 0;
  }

  /** Drop entries whose last failure is <= now - findtime; returns how many were dropped. */
  cleanup(now: number): number {
    const cutoff = now - this.findtime;
    const h = this.heap;
    let dropped = 0;
    while (h.length > 0 && h[0]!.heapKey <= cutoff) {
      const top = h[0]!;
      if (this.map.get(top.id) !== top) {
        this.pop(); // banned or deleted meanwhile
      } else if (top.last <= cutoff) {
        this.pop();
        this.map.delete(top.id);
        dropped++;
      } else {
        top.heapKey = top.last; // refreshed since pushed: move it down
        this.siftDown(0);
      }
    }
    // orphans (banned/deleted entries) are dropped lazily; rebuild if they dominate
    if (h.length > 1024 && h.length > 2 * this.map.size) this.rebuild();
    return dropped;
  }

  private rebuild(): void {
    const h = this.heap;
    h.length = 0;
    for (const e of this.map.values()) {
      e.heapKey = e.last;
      h.push(e);
    }
    for (let i = (h.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private push(e: FailEntry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.heapKey <= e.heapKey) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.siftDown(0);
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]!.heapKey < h[c]!.heapKey) c++;
      if (h[c]!.heapKey >= e.heapKey) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = e;
  }
}

function hasKeys(o: Readonly<Record<string, string>>): boolean {
  for (const _ in o) return true;
  return false;
}
