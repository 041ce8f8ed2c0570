import type { LogLine } from '../core/failure.js';

/**
 * A log source feeds a jail with lines. Lines arrive in batches (one chunk read at a time),
 * never one callback per line on the hot path.
 */
export interface LogSource {
  /** Find and open the logs (fail2ban logs "Added logfile" here) without reading yet. */
  open(): Promise<void>;
  /** Start reading (opens first when open() was not called). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Monitored paths, for the status "File list" (empty for the journal). */
  files(): string[];
  /** Persist the current read positions now (also done on stop and about once a second). */
  flushPositions(): void;
}

export interface LinesMeta {
  /** The file path, or "journal". */
  path: string;
  /** True while old content is being read, until the first end-of-file of that source. */
  catchingUp: boolean;
}

/**
 * A consumer that falls behind returns a promise (any other return value is ignored): the source reads nothing more until it settles
 * (backpressure, so a catch-up of millions of lines does not pile up in memory).
 * The array is handed over: sources never look at it again, so the consumer may clear entries.
 */
export type OnLines = (lines: LogLine[], meta: LinesMeta) => unknown;

/**
 * A saved read position, as in fail2ban's `logs` table: the MD5 (hex) of the file's first
 * line and the byte offset after the last consumed complete line. The journal stores its
 * cursor in `firstLineMd5` and the entry time (epoch seconds) in `pos`.
 */
export interface LogPosition {
  firstLineMd5: string;
  pos: number;
}

/** The store's getLogPosition/setLogPosition, bound to one jail. */
export interface PositionStore {
  get(path: string): LogPosition | null;
  set(path: string, pos: LogPosition): void;
}

export type SourceLogLevel = 'debug' | 'info' | 'warning' | 'error';
export type SourceLogger = (level: SourceLogLevel, msg: string) => void;

export const silentLogger: SourceLogger = () => undefined;
