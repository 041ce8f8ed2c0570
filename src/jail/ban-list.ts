import type { BanTicket } from '../core/failure.js';
import { time2str } from './time-value.js';

/**
 * fail2ban's BanManager (anatomy §3.3): the jail's current bans, id → ticket.
 * End of ban = ticket time + bantime; ANY negative bantime is permanent (fail2ban 1.0.2 only
 * honours exactly -1 and treats e.g. -10 as already over — we follow the documented intent).
 * Expiry comes from a min-heap keyed by end time (lazy deletion: unbanned or prolonged
 * tickets leave stale nodes that are skipped when they surface).
 */

/** fail2ban's end-of-ban stand-in for permanent bans (Ticket.MAX_TIME; ordering, `--with-time`). */
export const PERMANENT_END = 0x7fffffffffff;

export type BanAddResult =
  | { status: 'added'; ticket: BanTicket }
  /** End of ban already in the past: not banned ("Ignore <ip>, expired bantime"). */
  | { status: 'expired'; ticket: BanTicket }
  /** Already banned; `ticket` is the existing one (its bantime was extended when 'prolonged'). */
  | { status: 'exists' | 'prolonged'; ticket: BanTicket };

export function isPermanent(t: Pick<BanTicket, 'bantime'>): boolean {
  return t.bantime < 0;
}

export function endOfBan(t: Pick<BanTicket, 'time' | 'bantime'>): number {
  return t.bantime < 0 ? Infinity : t.time + t.bantime;
}

export class BanList {
  private readonly map = new Map<string, BanTicket>();
  // heap of (end, ticket) as parallel arrays
  private hEnd: number[] = [];
  private hT: BanTicket[] = [];
  private total = 0;

  /** "Currently banned". */
  get size(): number {
    return this.map.size;
  }

  /** "Total banned": successful additions ever (restored ones included, as fail2ban). */
  get totalBanned(): number {
    return this.total;
  }

  get(id: string): BanTicket | undefined {
    return this.map.get(id);
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  /** Ids in ban order (the `Banned IP list` of `status`). */
  ids(): string[] {
    return [...this.map.keys()];
  }

  tickets(): BanTicket[] {
    return [...this.map.values()];
  }

  add(t: BanTicket, now: number): BanAddResult {
    const end = endOfBan(t);
    if (end < now) return { status: 'expired', ticket: t };
    const old = this.map.get(t.id);
    if (old) {
      if (end > endOfBan(old)) {
        // keep the old ticket time, stretch its bantime so it ends when the new one would
        // (a new ticket older than the old one stretches past its own end: fail2ban does the same)
        old.bantime = end === Infinity ? t.bantime : t.bantime + Math.max(0, t.time - old.time);
        if (old.bantime >= 0) this.push(endOfBan(old), old);
        return { status: 'prolonged', ticket: old };
      }
      return { status: 'exists', ticket: old };
    }
    this.map.set(t.id, t);
    this.total++;
    if (end !== Infinity) this.push(end, t);
    return { status: 'added', ticket: t };
  }

  remove(id: string): BanTicket | null {
    const t = this.map.get(id);
    if (!t) return null;
    this.map.delete(id);
    this.maybeCompact();
    return t;
  }

  /** Remove every ticket whose id satisfies `pred` (unban by network / resolved name). */
  removeWhere(pred: (id: string, t: BanTicket) => boolean): BanTicket[] {
    const out: BanTicket[] = [];
    for (const [id, t] of this.map) {
      if (pred(id, t)) {
        this.map.delete(id);
        out.push(t);
      }
    }
    if (out.length) this.maybeCompact();
    return out;
  }

  removeAll(): BanTicket[] {
    const out = [...this.map.values()];
    this.map.clear();
    this.hEnd = [];
    this.hT = [];
    return out;
  }

  /** Earliest end of a non-permanent ban, or null when none. */
  nextExpiry(): number | null {
    this.dropStale();
    return this.hEnd.length > 0 ? this.hEnd[0]! : null;
  }

  /** Remove and return tickets whose ban is over (`now > end`), earliest first, at most `limit`. */
  popExpired(now: number, limit = Infinity): BanTicket[] {
    const out: BanTicket[] = [];
    while (out.length < limit) {
      this.dropStale();
      if (this.hEnd.length === 0 || !(now > this.hEnd[0]!)) break;
      const t = this.hT[0]!;
      this.popTop();
      this.map.delete(t.id);
      out.push(t);
    }
    return out;
  }

  /** Ids ordered by end of ban (`get <jail> banip`); permanent ones sort as fail2ban's 0x7fffffff. */
  orderedIds(): string[] {
    return this.ordered().map(([t]) => t.id);
  }

  /** `get <jail> banip --with-time`: `IP \tYYYY-mm-dd HH:MM:SS + <bantime> = YYYY-mm-dd HH:MM:SS`. */
  withTime(): string[] {
    return this.ordered().map(([t, end]) => `${t.id} \t${time2str(t.time)} + ${Math.trunc(t.bantime)} = ${time2str(end)}`);
  }

  private ordered(): [BanTicket, number][] {
    const l: [BanTicket, number][] = [];
    for (const t of this.map.values()) l.push([t, t.bantime < 0 ? PERMANENT_END : t.time + t.bantime]);
    return l.sort((a, b) => a[1] - b[1]); // stable: ties keep ban order
  }

  // ---- heap ----

  private isLive(i: number): boolean {
    const t = this.hT[i]!;
    return this.map.get(t.id) === t && endOfBan(t) === this.hEnd[i];
  }

  private dropStale(): void {
    while (this.hEnd.length > 0 && !this.isLive(0)) this.popTop();
  }

  private maybeCompact(): void {
    if (this.hEnd.length > 1024 && this.hEnd.length > 2 * this.map.size) {
      const ends: number[] = [];
      const ts: BanTicket[] = [];
      for (let i = 0; i < this.hEnd.length; i++) {
        if (this.isLive(i)) {
          ends.push(this.hEnd[i]!);
          ts.push(this.hT[i]!);
        }
      }
      this.hEnd = ends;
      this.hT = ts;
      for (let i = (ends.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
    }
  }

  private push(end: number, t: BanTicket): void {
    const e = this.hEnd;
    const ts = this.hT;
    let i = e.length;
    e.push(end);
    ts.push(t);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (e[p]! <= end) break;
      e[i] = e[p]!;
      ts[i] = ts[p]!;
      i = p;
    }
    e[i] = end;
    ts[i] = t;
  }

  private popTop(): void {
    const e = this.hEnd;
    const ts = this.hT;
    const lastE = e.pop()!;
    const lastT = ts.pop()!;
    if (e.length > 0) {
      e[0] = lastE;
      ts[0] = lastT;
      this.siftDown(0);
    }
  }

  private siftDown(i: number): void {
    const e = this.hEnd;
    const ts = this.hT;
    const n = e.length;
    const end = e[i]!;
    const t = ts[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && e[c + 1]! < e[c]!) c++;
      if (e[c]! >= end) break;
      e[i] = e[c]!;
      ts[i] = ts[c]!;
      i = c;
    }
    e[i] = end;
    ts[i] = t;
  }
}
