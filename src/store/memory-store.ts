import type { BanTicket } from '../core/failure.js';
import { canonicalIp } from '../core/ip.js';
import {
  banData,
  bipPurgeable,
  mergeBans,
  restoreBantime,
  storedBantime,
  storedTime,
  ticketParts,
  type BanData,
  type BanStore,
  type CurrentBansOptions,
  type LogPosition,
  type MergedBans,
  type PreviousBan,
} from './store.js';

interface Row {
  jail: string;
  id: string;
  timeofban: number;
  bantime: number;
  bancount: number;
  data: BanData;
}

/** A BanStore kept in memory (`dbfile = None`, tests): same rules as the SQLite store. */
export class MemoryBanStore implements BanStore {
  private readonly jails = new Map<string, boolean>();
  private history: Row[] = [];
  /** jail → id → latest ban. */
  private readonly latest = new Map<string, Map<string, Row>>();
  /** jail → path → position. */
  private readonly logs = new Map<string, Map<string, LogPosition>>();

  private leftEnabled = new Set<string>();

  addJail(name: string): void {
    this.jails.set(name, true);
  }

  disableJail(name: string): void {
    if (this.jails.has(name)) this.jails.set(name, false);
  }

  leftRunning(name: string): boolean {
    return this.leftEnabled.delete(name);
  }

  addBan(t: BanTicket, dbmaxmatches: number): void {
    if (!this.jails.has(t.jail)) this.jails.set(t.jail, true);
    const row: Row = {
      jail: t.jail,
      id: t.id,
      timeofban: storedTime(t.time),
      bantime: storedBantime(t.bantime),
      bancount: t.banCount + 1,
      data: banData(t, dbmaxmatches),
    };
    this.history.push(row);
    let m = this.latest.get(t.jail);
    if (!m) this.latest.set(t.jail, (m = new Map<string, Row>()));
    m.set(t.id, row);
  }

  addBans(ts: BanTicket[], dbmaxmatches: number): void {
    for (const t of ts) this.addBan(t, dbmaxmatches);
  }

  removeBan(jail: string | null, id: string): void {
    this.history = this.history.filter((r) => !(r.id === id && (jail === null || r.jail === jail)));
    for (const [j, m] of this.latest) if (jail === null || j === jail) m.delete(id);
  }

  removeAllBans(jail: string | null): void {
    if (jail === null) {
      this.history = [];
      this.latest.clear();
      return;
    }
    this.history = this.history.filter((r) => r.jail !== jail);
    this.latest.delete(jail);
  }

  currentBans(jail: string, now: number, opts?: CurrentBansOptions): BanTicket[] {
    const out: BanTicket[] = [];
    const rows = [...(this.latest.get(jail)?.values() ?? [])].sort(byId);
    for (const r of rows) {
      const bantime = restoreBantime(r.timeofban, r.bantime, now, opts);
      if (bantime === null) continue;
      out.push({
        jail,
        id: r.id,
        ip: canonicalIp(r.id),
        time: r.timeofban,
        bantime,
        banCount: Math.max(0, r.bancount - 1),
        ...ticketParts(structuredClone(r.data)),
        restored: true,
      });
    }
    return out;
  }

  mergedBans(id: string, jail: string | null, dbmaxmatches: number): MergedBans | null {
    const rows = this.history
      .filter((r) => r.id === id && (jail === null || r.jail === jail))
      .sort((a, b) => b.timeofban - a.timeofban);
    return mergeBans(
      rows.map((r) => structuredClone(r.data) as Record<string, unknown>),
      dbmaxmatches,
    );
  }

  previousBan(id: string, jail: string | null): PreviousBan | null {
    if (jail !== null) {
      const r = this.latest.get(jail)?.get(id);
      return r ? { banCount: r.bancount, time: r.timeofban, bantime: r.bantime } : null;
    }
    let last: Row | null = null;
    let count = 0;
    for (const m of this.latest.values()) {
      const r = m.get(id);
      if (!r) continue;
      count += r.bancount;
      if (!last || r.timeofban > last.timeofban || (r.timeofban === last.timeofban && r.jail < last.jail))
        last = r;
    }
    return last ? { banCount: count, time: last.timeofban, bantime: last.bantime } : null;
  }

  bannedIds(jail: string): string[] {
    return [...(this.latest.get(jail)?.keys() ?? [])].sort();
  }

  getLogPosition(jail: string, path: string): LogPosition | null {
    const p = this.logs.get(jail)?.get(path);
    return p ? { ...p } : null;
  }

  setLogPosition(jail: string, path: string, pos: LogPosition): void {
    if (!this.jails.has(jail)) this.jails.set(jail, true);
    let m = this.logs.get(jail);
    if (!m) this.logs.set(jail, (m = new Map<string, LogPosition>()));
    m.set(path, { firstLineMd5: pos.firstLineMd5, pos: pos.pos });
  }

  setLogPositions(entries: { jail: string; path: string; pos: LogPosition }[]): void {
    for (const e of entries) this.setLogPosition(e.jail, e.path, e.pos);
  }

  purge(now: number, purgeAge: number): void {
    this.history = this.history.filter((r) => !(r.timeofban < now - purgeAge));
    const cutoff = Math.floor(now) - purgeAge;
    for (const m of this.latest.values()) {
      for (const [id, r] of m) if (bipPurgeable(r.timeofban, r.bantime, cutoff)) m.delete(id);
    }
    for (const [name, enabled] of this.jails) {
      if (enabled) continue;
      const hasBans = this.history.some((r) => r.jail === name) || (this.latest.get(name)?.size ?? 0) > 0;
      if (!hasBans) {
        this.jails.delete(name);
        this.latest.delete(name);
        this.logs.delete(name); // logs cascade with their jail
      }
    }
  }

  /** Mimics closing and reopening: every jail is disabled until added again. */
  reopen(): void {
    this.leftEnabled = new Set([...this.jails].filter(([, on]) => on).map(([name]) => name));
    for (const name of this.jails.keys()) this.jails.set(name, false);
  }

  /** Jail names with their enabled flag, for tests and `status`. */
  jailStates(): Map<string, boolean> {
    return new Map(this.jails);
  }

  close(): void {
    // nothing to release
  }
}

/** SQLite's default (binary) text order, which fail2ban's restore query sorts addresses by. */
function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
