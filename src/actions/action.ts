import type { BanTicket } from '../core/failure.js';

/**
 * What a jail drives. Implementations log their own failures and never throw to the jail:
 * a failed ban is reported as `false`, a failed start/stop is only logged.
 */
export interface Action {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  ban(t: BanTicket): Promise<boolean>;
  unban(t: BanTicket): Promise<boolean>;
  /** Remove every ban at once; false when unsupported or failed (the jail then unbans one by one). */
  flush(): Promise<boolean>;
  /**
   * After a failed flush: check (and unless `allowRepair` refuses, repair) what the action
   * maintains; the jail then leaves the tickets to it instead of unbanning one by one.
   */
  consistencyCheck?(allowRepair: (repairOnUnban: boolean) => boolean): Promise<boolean>;
  /** Has a flush command: fail2ban announces "Flush ticket(s)" only for such actions. */
  readonly flushable?: boolean;
  reload(): Promise<void>;
  /**
   * The server before ended without stopping the jail (killed, crashed): the bans it applied may
   * still be in force. Called before start; each family then runs its flush command before it
   * starts, so restored bans are applied once instead of on top of the old ones.
   */
  expectLeftovers?(): void;
  /** Ban tickets that became due together; result i belongs to ticket i. */
  banMany?(ts: BanTicket[]): Promise<boolean[]>;
  unbanMany?(ts: BanTicket[]): Promise<boolean[]>;
  /** A ban's end moved later (bantime.increment / repeated ban). */
  prolong?(t: BanTicket): Promise<boolean>;
  /** Re-apply a ban after the action was repaired or restarted (see `banEpoch`). */
  reban?(t: BanTicket): Promise<boolean>;
  /**
   * Increases whenever the action lost its bans (repair or restart after a failed check):
   * tickets banned at a lower epoch should be rebanned with `reban`.
   */
  readonly banEpoch?: number;
}

/** Counters a jail exposes to actions (`<jail.banned>` …). */
export interface JailStats {
  banned: number;
  bannedTotal: number;
  found: number;
  foundTotal: number;
}

export interface JailHandle {
  name: string;
  info(): JailStats;
}

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical';
/**
 * Where a line comes from, as fail2ban names its loggers: the jail's actions (default,
 * fail2ban.actions), a failed command's report (fail2ban.utils), or the command action's own
 * invariant check (fail2ban.CommandAction).
 */
export type ActionLogSource = 'actions' | 'utils' | 'CommandAction';
export type ActionLogger = (level: LogLevel, msg: string, source?: ActionLogSource) => void;
