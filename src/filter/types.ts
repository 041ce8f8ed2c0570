import type { Failure } from '../core/failure.js';
import type { FailData } from './mlfid.js';

/** How a line was classified, for the regex tool report and for counting. */
export type LineKind = 'matched' | 'ignored' | 'missed';

export interface LineResult {
  kind: LineKind;
  /** Failures completed by this line (0..n; multi-line filters may complete older ones). */
  failures: Failure[];
  /** Indices of failregexes that matched (for hit counts), in order. */
  failHits: number[];
  /** Index of the failregex that produced each entry of `failures` (same order). */
  failureRegex?: number[];
  /** Indices (subset of failHits) whose hit was a no-failure (`<F-NOFAIL>`) match. */
  nofailHits?: number[];
  /** The failure id of each no-failure hit (null while an MLFID session waits for one). */
  nofailIds?: (string | null)[];
  /** The prefregex matched (filters with a prefregex). */
  prefMatched: boolean;
  /**
   * The prefregex's captured groups (content included) when it matched; absent for a line no
   * failregex could match when the filter was built with `prefGroups: false`.
   */
  prefGroups?: Record<string, string | undefined>;
  /** Indices of ignoreregexes that matched. */
  ignoreHits: number[];
  /** Display name of the date template that matched, or null. */
  dateTemplate: string | null;
  /** The date found in the line (epoch seconds) or null. */
  time: number | null;
  /** fail2ban holds that date as an int (converted with a zone, or TAI64N), else as a float. */
  intTime: boolean;
  /**
   * The MLFID session this line's hit merged into (the same object for every line of one
   * session, a new one once the session was forgotten or evicted): the regex tool's `-o row`
   * follows a session's key order on it.
   */
  session?: FailData;
}
