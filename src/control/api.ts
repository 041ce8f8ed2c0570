import type { AllStatus, StatusPair } from './beautify.js';

/**
 * What the command table needs from a running server. The server implements it; tests can
 * implement it with fakes. Values returned are what goes over the wire (JSON), and the client
 * formats them like fail2ban's beautifier.
 */
export interface JailControl {
  readonly name: string;
  /** flavor: basic | short | stats | cymru */
  status(flavor: string): StatusPair[];
  /** `get <jail> <key> [args…]`; throws CommandError for unknown keys. */
  get(key: string, args: string[]): unknown;
  /** `set <jail> <key> [args…]`; returns the beautified new value. */
  set(key: string, args: string[]): Promise<unknown>;
  /** True when id is currently banned. */
  isBanned(id: string): boolean;
  bannedIds(): string[];
}

export interface ReloadOptions {
  jail: string | null;
  restart: boolean;
  unban: boolean;
  all: boolean;
  ifExists: boolean;
}

export interface ServerApi {
  /** Jail names sorted. */
  jailNames(): string[];
  /** Jail names in the order they were added (fail2ban's `banned` lists them so). */
  jailsInOrder(): string[];
  jail(name: string): JailControl | undefined;
  statusAll(flavor: string): AllStatus;
  /** Stop the whole server soon, after the current reply has been sent. */
  scheduleShutdown(): void;
  /** `add <JAIL> [BACKEND]`: create an empty, stopped jail; returns its name. */
  addJailByCommand(name: string, backend: string): string;
  /** Start a configured jail, or one made by `add`. */
  startJail(name: string): Promise<void>;
  stopJail(name: string): Promise<void>;
  reload(opts: ReloadOptions): Promise<void>;
  /** Unban ids in every jail (or everything); returns how many bans were removed. */
  unban(ids: string[] | 'all'): Promise<number>;
  flushLogs(): string;
  getServer(key: string): unknown;
  setServer(key: string, value: string): unknown;
  version(): string;
}
