/**
 * The vocabulary shared by every pipeline stage:
 *   sources --LogLine--> filter --Failure--> jail --BanTicket--> actions
 */

/** One line read from a source (file, journal, replay). */
export interface LogLine {
  /** The line without its trailing newline. */
  text: string;
  /** Where it came from: file path, "journal", "-" … */
  source: string;
  /** Timestamp given by the source itself (journal entries); files leave it undefined. */
  time?: number;
  /** `text + "\n"` when the reader had it as one string anyway (the filter matches that, copy-free). */
  withNewline?: string;
  /** Plain ASCII without "\r" (the filter skips its own scan). */
  ascii?: boolean;
}

/** One failure found by a filter (possibly spanning several lines). */
export interface Failure {
  /** Failure id: the address (canonical form) or the `<F-ID>` value. */
  id: string;
  /** The address when there is one (may differ from id when both fid and an address were captured). */
  ip: string | null;
  /** Epoch seconds (fraction kept for EPOCH dates). */
  time: number;
  /** The log lines that make up this failure. */
  matches: string[];
  /** Captured values: user, and any custom <F-XYZ> (lower-cased names). */
  fields: Record<string, string>;
  /** How many retries this failure counts for (1 for a log line; `attempt` may pass more). */
  count: number;
  /** Multi-line (MLFID) sessions: every user name seen in the session. */
  users?: string[];
  /** Set when `id` is a host name that must be resolved first (usedns yes/warn; warn = log it). */
  resolveDns?: 'yes' | 'warn';
}

/** A ban as the jail hands it to actions and the store. */
export interface BanTicket {
  jail: string;
  id: string;
  ip: string | null;
  /** Ticket time: the time of the last failure (or now for manual bans). */
  time: number;
  /** Effective ban duration in seconds; negative = permanent. */
  bantime: number;
  /** How many times this id was banned before (bantime.increment), 0 for the first ban. */
  banCount: number;
  /** Number of failures that led to the ban. */
  failures: number;
  matches: string[];
  fields: Record<string, string>;
  /** True when re-applied from the store at start. */
  restored: boolean;
}

export function banEnd(t: Pick<BanTicket, 'time' | 'bantime'>): number {
  return t.bantime < 0 ? Infinity : t.time + t.bantime;
}
