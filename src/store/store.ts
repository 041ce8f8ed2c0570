import type { BanTicket } from '../core/failure.js';

/**
 * Persistent ban state (fail2ban's database, anatomy §3.5/§6): ban history, the latest ban per
 * (id, jail) for restore and bantime.increment, and per-jail log positions.
 *
 * Conventions shared by every implementation (the contract test in store.case.ts checks them):
 * - times are stored as integer seconds (`Math.round(ticket.time)`);
 * - any negative bantime means permanent and is stored as it is (-1, -10 …), so a restored ban
 *   keeps its own; only -2, fail2ban's "bantime unknown" marker, is stored as -1;
 * - the stored `bancount` is the number of bans including this one (fail2ban's meaning), i.e.
 *   `ticket.banCount + 1`; restored tickets get `banCount = bancount - 1`.
 */

export interface LogPosition {
  /** Hex MD5 of the file's first (complete) line; '' when unknown. */
  firstLineMd5: string;
  /** Byte offset read so far. */
  pos: number;
}

export interface PreviousBan {
  /** Bans recorded so far for this id (fail2ban's `bancount`): the banCount a new ticket should carry. */
  banCount: number;
  /** Time of the latest recorded ban (integer seconds). */
  time: number;
  /** Bantime of the latest recorded ban (-1 = permanent). */
  bantime: number;
}

export interface CurrentBansOptions {
  /**
   * The jail's current maximum bantime: `bantime`, or `bantime.maxtime` with increment on.
   * Restored bantimes above it (or permanent) are capped to it; negative/undefined = no cap.
   */
  maxBantime?: number;
  /** Whether bantime.increment is on (informational: the cap above already encodes the difference). */
  incrementEnabled?: boolean;
  /** The jail's bantime: what a row of unknown bantime (upgraded from schema 2) is restored with. */
  bantime?: number;
}

export interface BanStore {
  /** Marks the jail enabled (created if missing). Opening a store marks every jail disabled. */
  addJail(name: string): void;
  /** Marks the jail disabled: it stopped and lifted its bans (fail2ban's delJail). */
  disableJail(name: string): void;
  /**
   * The jail was still enabled when the store was opened: the server before ended without
   * stopping it (killed, crashed), so its actions' bans may still be in force. True once per
   * jail: the jail's first start handles it, a later restart in this server does not.
   */
  leftRunning(name: string): boolean;
  /** History row in `bans` + latest row in `bips`; data keeps the last `dbmaxmatches` matches (none if 0). */
  addBan(t: BanTicket, dbmaxmatches: number): void;
  /** Same as addBan for many tickets, in one transaction (ban storms). */
  addBans(ts: BanTicket[], dbmaxmatches: number): void;
  /** Manual unban: deletes the id from history and latest tables (null jail = every jail). */
  removeBan(jail: string | null, id: string): void;
  /** `unban --all` / jail flush: deletes every ban of the jail (null = every jail). */
  removeAllBans(jail: string | null): void;
  /** Bans to restore at jail start: still running at `now` or permanent; tickets are flagged restored. */
  currentBans(jail: string, now: number, opts?: CurrentBansOptions): BanTicket[];
  /** Latest recorded ban for bantime.increment (null jail = summed over all jails, overalljails). */
  previousBan(id: string, jail: string | null): PreviousBan | null;
  /**
   * Every recorded ban of the id (one jail, or null = all jails) merged into one: the
   * `<ipmatches>`/`<ipfailures>` family of action tags. Null when there is none.
   */
  mergedBans(id: string, jail: string | null, dbmaxmatches: number): MergedBans | null;
  /** Every id with a latest-ban row in the jail (expired or not), sorted. */
  bannedIds(jail: string): string[];
  getLogPosition(jail: string, path: string): LogPosition | null;
  setLogPosition(jail: string, path: string, pos: LogPosition): void;
  /** Same as setLogPosition for many entries, in one transaction. */
  setLogPositions(entries: { jail: string; path: string; pos: LogPosition }[]): void;
  /**
   * Hourly purge: history older than `purgeAge`; latest-ban rows older than `purgeAge` whose
   * `time + 3 * bantime` is also older (permanent never); disabled jails without bans.
   */
  purge(now: number, purgeAge: number): void;
  close(): void;
}

export interface MergedBans {
  matches: string[];
  failures: number;
}

/**
 * fail2ban's merge of an id's bans, given newest first: failures add up (a row without a count is
 * one failure), matches are kept oldest first up to `max` lines, the newest bans' lines first.
 */
export function mergeBans(newestFirst: Iterable<Record<string, unknown>>, max: number): MergedBans | null {
  let matches: string[] = [];
  let failures = 0;
  let any = false;
  for (const data of newestFirst) {
    any = true;
    const room = max - matches.length;
    if (room > 0) {
      const m = ticketParts(data).matches;
      matches = (m.length <= room ? m : m.slice(-room)).concat(matches);
    }
    failures += typeof data.failures === 'number' ? data.failures : 1;
  }
  return any ? { matches, failures } : null;
}

/** fail2ban keeps a latest-ban row until its ban is this many bantimes out of date. */
export const OUTDATED_FACTOR = 3;

/** fail2ban's marker for "bantime unknown" in rows upgraded from schema version 2. */
export const UNKNOWN_BANTIME = -2;

/** Fallback for UNKNOWN_BANTIME rows when the caller gives no maximum (fail2ban's default bantime). */
export const DEFAULT_BANTIME = 600;

export function storedBantime(bantime: number): number {
  const bt = Math.round(bantime);
  if (bantime < 0 && bt >= 0) return -1; // -0.4 rounds to 0, which is not permanent
  return bt === UNKNOWN_BANTIME ? -1 : bt;
}

export function storedTime(time: number): number {
  return Math.round(time);
}

/** The `data` JSON fail2ban keeps per ban: matches, failures, then captured fields. */
export interface BanData {
  matches?: string[];
  failures: number;
  [field: string]: unknown;
}

export function banData(t: BanTicket, dbmaxmatches: number): BanData {
  const out: BanData =
    dbmaxmatches > 0 && t.matches.length > 0
      ? { matches: t.matches.slice(-dbmaxmatches), failures: t.failures }
      : { failures: t.failures };
  for (const [k, v] of Object.entries(t.fields)) {
    if (k !== 'matches' && k !== 'failures') out[k] = v;
  }
  return out;
}

/** Parse stored data (fail2ban writes UTF-8 JSON as a BLOB; we write TEXT); bad data becomes {}. */
export function parseBanData(raw: unknown): Record<string, unknown> {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (raw instanceof Uint8Array) text = Buffer.from(raw).toString('utf8');
  else return {};
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Split parsed data back into ticket parts. */
export function ticketParts(
  data: Record<string, unknown>,
): Pick<BanTicket, 'failures' | 'matches' | 'fields'> {
  const m = data.matches;
  // fail2ban 1.0.2 may store a match as the list of its parts (prefix, date, rest): one line
  const line = (x: unknown): string | null =>
    typeof x === 'string' ? x : Array.isArray(x) && x.every((p) => typeof p === 'string') ? x.join('') : null;
  const matches = Array.isArray(m) ? m.map(line).filter((x): x is string => x !== null) : [];
  const failures = typeof data.failures === 'number' ? data.failures : 0;
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    if (k === 'matches' || k === 'failures') continue;
    if (typeof v === 'string') fields[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') fields[k] = String(v);
  }
  return { failures, matches, fields };
}

/**
 * The restore rule of §3.5 for one latest-ban row: returns the bantime to restore with (a
 * permanent one as it was stored), or null when the ban is over at `now` (after capping to
 * the jail's maximum).
 */
export function restoreBantime(
  timeofban: number,
  bantime: number,
  now: number,
  opts?: CurrentBansOptions,
): number | null {
  const cap = opts?.maxBantime !== undefined && opts.maxBantime >= 0 ? opts.maxBantime : null;
  let bt = bantime;
  // fail2ban gives such rows the jail's bantime
  if (bt === UNKNOWN_BANTIME) bt = opts?.bantime ?? cap ?? DEFAULT_BANTIME;
  else if (cap !== null && (bt < 0 || bt > cap)) bt = cap;
  if (bt >= 0 && timeofban + bt <= now) return null;
  return bt;
}

/** Whether a latest-ban row may be purged (anatomy §6). */
export function bipPurgeable(timeofban: number, bantime: number, cutoff: number): boolean {
  const permanent = bantime < 0 && bantime !== UNKNOWN_BANTIME;
  return !permanent && timeofban < cutoff && timeofban + bantime * OUTDATED_FACTOR < cutoff;
}
