import type { IncrementDef } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { BanTicket, Failure } from '../core/failure.js';
import { canonicalId, canonicalIp } from '../core/ip.js';
import { BanList, endOfBan } from './ban-list.js';
import { FailWindow, type FailEntry } from './fail-window.js';
import { INCREMENT_OPTIONS, BanTimeIncrement, type IncrementOption, type IncrementTexts, type PreviousBan } from './increment.js';
import { networkMatcher, type IgnoreList, type IgnoreSubject, type LogFn, type LogLevel, type LogSource } from './ignore.js';
import { secondsShown, str2secIsFloat } from '../config/timespec.js';
import { pyInt, sec2str, str2sec, time2str } from './time-value.js';

/**
 * One jail's state machine (anatomy §3): failures → ignore check → fail window → ban with
 * bantime.increment → ban list → expiry. Pure: time comes from the clock, previous bans from
 * an injected lookup (the store), I/O for the ignore rules lives in the IgnoreList's deps.
 * Returned tickets are what the caller hands to actions and to the store.
 */

/** fail2ban's level numbers for the levels a jail logs at. */
const LEVELS: Readonly<Record<LogLevel, number>> = { DEBUG: 10, INFO: 20, NOTICE: 25, WARNING: 30, ERROR: 40 };

export interface JailOptions {
  name: string;
  maxretry: number;
  maxmatches: number;
  findtime: number;
  /** Seconds; negative = permanent. */
  bantime: number;
  increment: IncrementDef;
  /** The bantime.* options as written in the config (what `get` shows; unset ones are None). */
  incrementGiven?: IncrementTexts;
  clock: Clock;
  ignore: IgnoreList;
  /** Latest recorded ban of an id; `overalljails` asks for every jail's history. */
  previousBan?: (id: string, overalljails: boolean) => PreviousBan | null;
  /** DNS for `unban <hostname>` (fail2ban unbans the banned addresses a name resolves to). */
  resolve?: (name: string) => Promise<readonly string[]>;
  log?: LogFn;
  /** The logger's current level number (fail2ban's: INFO 20, NOTICE 25 …); absent = log everything. */
  logThreshold?: () => number;
  /** For bantime.rndtime (tests inject a fixed one). */
  random?: () => number;
  /**
   * Skip failures older than now - findtime, as fail2ban's filter does in a live jail
   * (the regex tool does not). Default true.
   */
  checkFindTime?: boolean;
}

export interface JailStatus {
  currentlyFailed: number;
  totalFailed: number;
  currentlyBanned: number;
  totalBanned: number;
  /** Ids in ban order (the `Banned IP list`). */
  bannedIds: string[];
}

export interface UnbanResult {
  unbanned: BanTicket[];
  /** Arguments that matched no ban (an error only with `--report-absent`). */
  missed: string[];
}

export type JailOptionKey = 'findtime' | 'bantime' | 'maxretry' | 'maxmatches' | `bantime.${IncrementOption}`;

export class Jail {
  readonly name: string;
  readonly fails: FailWindow;
  readonly bans = new BanList();
  readonly increment: BanTimeIncrement;
  readonly ignore: IgnoreList;
  /** Seconds; negative = permanent. */
  bantime: number;
  checkFindTime: boolean;
  /** Set by findtime values that are floats in fail2ban (see findtimeShown). */
  private findtimeFloat = false;
  private readonly clock: Clock;
  private readonly previousBan: JailOptions['previousBan'];
  private readonly resolve: JailOptions['resolve'];
  private readonly logFn: LogFn | undefined;
  private readonly logThreshold: (() => number) | undefined;

  constructor(opts: JailOptions) {
    this.name = opts.name;
    this.fails = new FailWindow({ maxretry: opts.maxretry, maxmatches: opts.maxmatches, findtime: opts.findtime });
    this.bantime = opts.bantime;
    this.increment = new BanTimeIncrement(opts.increment, {
      ...(opts.random ? { random: opts.random } : {}),
      given: opts.incrementGiven ?? {},
    });
    this.ignore = opts.ignore;
    this.clock = opts.clock;
    this.previousBan = opts.previousBan;
    this.resolve = opts.resolve;
    this.logFn = opts.log;
    this.logThreshold = opts.logThreshold;
    this.checkFindTime = opts.checkFindTime ?? true;
  }

  private log(level: LogLevel, msg: string, source?: LogSource): void {
    this.logFn?.(level, `[${this.name}] ${msg}`, source);
  }

  /** Whether a message of `level` would be written (so busy paths skip building it). */
  private logs(level: LogLevel): boolean {
    if (!this.logFn) return false;
    return this.logThreshold === undefined || LEVELS[level] >= this.logThreshold();
  }

  /** A failure found by the filter. Resolves to the ticket to hand to actions when it caused a new ban. */
  async addFailure(f: Failure): Promise<BanTicket | null> {
    return this.addFailureNow(f);
  }

  /**
   * addFailure, without a promise when the ignore rules can answer at once (IgnoreList.checkNow):
   * the daemon counts hundreds of thousands of failures per second on a catch-up.
   */
  addFailureNow(f: Failure): BanTicket | null | Promise<BanTicket | null> {
    const now = this.clock.now();
    const time = f.time > now ? now : f.time; // estimated future dates count as now
    if (this.checkFindTime && time < now - this.fails.findtime) return null;
    const subject: IgnoreSubject = { id: f.id, ip: f.ip, time, failures: 1, matches: f.matches, fields: f.fields };
    const src = this.ignore.checkNow(subject);
    if (src === undefined) return this.ignored(subject).then((ignored) => (ignored ? null : this.count(f, time, now)));
    if (src !== null) {
      this.log('INFO', `Ignore ${f.id} by ${src}`);
      return null;
    }
    return this.count(f, time, now);
  }

  /** Counts a failure that passed the ignore rules; the ticket when it caused a new ban. */
  private count(f: Failure, time: number, now: number): BanTicket | null {
    if (this.logs('INFO')) this.log('INFO', `Found ${f.id} - ${time2str(time)}`);

    let count = f.count;
    let attempts = 1;
    const prev = this.increment.enabled && this.previousBan ? this.previousBan(f.id, false) : null;
    const retry = this.increment.failureRetry(prev, time, this.fails.maxretry);
    if (retry > 1 && prev) {
      // A known bad id: this failure counts more. fail2ban's observer adds the bonus as a second
      // attempt of the same failure (so "failures" and "Total failed" count it twice), and prints
      // Python's min(2^n/2+1, maxretry): the float unless maxretry is smaller.
      const raw = 2 ** Math.min(Math.max(prev.banCount, 0), 20) / 2 + 1;
      const shown = raw > this.fails.maxretry ? String(this.fails.maxretry) : Number.isInteger(raw) ? `${raw}.0` : String(raw);
      this.log('INFO', `Found ${f.id}, bad - ${time2str(time)}, ${prev.banCount} # -> ${shown}${retry >= this.fails.maxretry ? ', Ban' : ''}`, 'observer');
      // the bonus comes after the failure itself was counted: not when that alone bans the id
      if ((this.fails.get(f.id)?.retry ?? 0) + count < this.fails.maxretry) {
        count += retry - 1;
        attempts = 2;
      }
    }
    const e = this.fails.add({ id: f.id, ip: f.ip, time, matches: f.matches, fields: f.fields }, count, now, attempts);
    return e ? this.ban(this.ticketOf(e), now) : null;
  }

  /**
   * `set <jail> attempt <id> [<match>…]`: a failure at now worth one retry per match (at least 1).
   * Like banip it skips the ignore lists, as fail2ban 1.0.2 does.
   */
  attempt(given: string, matches: readonly string[] = []): BanTicket | null {
    const now = this.clock.now();
    const id = canonicalId(given);
    const ip = canonicalIp(id);
    this.log('INFO', `Attempt ${id} - ${time2str(now)}`);
    const e = this.fails.add({ id, ip, time: now, matches, fields: {} }, Math.max(matches.length, 1), now);
    return e ? this.ban(this.ticketOf(e), now) : null;
  }

  /** `set <jail> banip <id>…`: tickets at now (no ignore check); returns the new bans (count = length). */
  banManually(ids: readonly string[], now = this.clock.now()): BanTicket[] {
    const out: BanTicket[] = [];
    for (const given of ids) {
      // the form a log line gives, or `2001:DB8::1` and `2001:db8::1` would be two bans
      const id = canonicalId(given);
      const t = this.ban(
        { jail: this.name, id, ip: canonicalIp(id), time: now, bantime: this.bantime, banCount: 0, failures: 0, matches: [], fields: {}, restored: false },
        now,
      );
      if (t) out.push(t);
    }
    return out;
  }

  /** Re-apply bans read from the store at start: flagged restored, ignore rules applied, finished ones skipped. */
  async restore(tickets: readonly BanTicket[]): Promise<BanTicket[]> {
    const now = this.clock.now();
    const out: BanTicket[] = [];
    for (const src of tickets) {
      const t: BanTicket = { ...src, jail: this.name, restored: true };
      if (await this.ignored({ id: t.id, ip: t.ip, time: t.time, failures: t.failures, matches: t.matches, fields: t.fields })) continue;
      if (endOfBan(t) <= now) continue;
      const r = this.bans.add(t, now);
      if (r.status === 'added') {
        this.log('NOTICE', `Restore Ban ${t.id}`, 'actions');
        out.push(t);
      } else if (r.status === 'exists' || r.status === 'prolonged') {
        this.alreadyBanned(t, r.ticket);
      }
    }
    return out;
  }

  /**
   * `unbanip` / `unban`: an exact id, or a network (CIDR) or host name covering banned ids.
   * Returns the removed tickets (for actionunban and the store) and the arguments that matched nothing.
   */
  async unban(ids: readonly string[]): Promise<UnbanResult> {
    const unbanned: BanTicket[] = [];
    const missed: string[] = [];
    for (const id of ids) {
      const one = this.bans.remove(id) ?? this.bans.remove(canonicalId(id));
      let removed: BanTicket[] = one ? [one] : [];
      if (!one) {
        const inNet = networkMatcher(id);
        if (inNet) removed = this.bans.removeWhere((bid) => inNet(bid));
        else if (canonicalIp(id) === null && this.resolve) {
          let addrs: readonly string[] = [];
          try {
            addrs = await this.resolve(id);
          } catch {
            addrs = [];
          }
          const set = new Set(addrs.map((a) => canonicalIp(a)).filter((a): a is string => a !== null));
          if (set.size) removed = this.bans.removeWhere((bid) => set.has(bid));
        }
      }
      if (removed.length === 0) missed.push(id);
      for (const t of removed) {
        this.log('NOTICE', `Unban ${t.id}`, 'actions');
        unbanned.push(t);
      }
    }
    return { unbanned, missed };
  }

  /** `unban --all` / jail stop: every ticket, in ban order; the caller logs them (`logUnbans`)
   *  after the actions' flush lines, as fail2ban does. */
  unbanAll(): BanTicket[] {
    return this.bans.removeAll();
  }

  logUnbans(tickets: readonly BanTicket[]): void {
    for (const t of tickets) this.log('NOTICE', `Unban ${t.id}`, 'actions');
  }

  /** Bans that are over (`now > end`), earliest first. */
  popExpired(now = this.clock.now(), limit = Infinity): BanTicket[] {
    const out = this.bans.popExpired(now, limit);
    for (const t of out) this.log('NOTICE', `Unban ${t.id}`, 'actions');
    return out;
  }

  /** When the next ban ends (for the unban timer), null when none will. */
  nextExpiry(): number | null {
    return this.bans.nextExpiry();
  }

  isBanned(id: string): boolean {
    return this.bans.has(id) || this.bans.has(canonicalId(id));
  }

  status(): JailStatus {
    return {
      currentlyFailed: this.fails.size,
      totalFailed: this.fails.totalFailed,
      currentlyBanned: this.bans.size,
      totalBanned: this.bans.totalBanned,
      bannedIds: this.bans.ids(),
    };
  }

  /** `get <jail> banip`: ids ordered by end of ban. */
  banIps(): string[] {
    return this.bans.orderedIds();
  }

  /** `get <jail> banip --with-time`. */
  banIpsWithTime(): string[] {
    return this.bans.withTime();
  }

  /** The cap the store applies to restored bantimes: maxtime with increment on (or none), else bantime. */
  maxBantime(): number {
    if (this.increment.enabled) return this.increment.definition.maxtime ?? -1;
    return this.bantime;
  }

  /** `set <jail> <key> <value>` for the counting/banning options; returns the new value. */
  setOption(key: JailOptionKey, value: string): number | string | boolean | null {
    switch (key) {
      case 'findtime':
        this.fails.findtime = str2sec(value, key);
        this.findtimeFloat = str2secIsFloat(value);
        break;
      case 'bantime':
        // fail2ban keeps int(seconds): `1.5` bans for 1 s and reads back as 1
        this.bantime = Math.trunc(str2sec(value, key));
        break;
      case 'maxretry': {
        const n = pyInt(value, key);
        // fail2ban takes 0 or -5 and then bans on any single failure
        if (n < 1) throw new ConfigError('maxretry must be integer greater than zero');
        this.fails.maxretry = n;
        break;
      }
      case 'maxmatches':
        this.fails.maxmatches = pyInt(value, key);
        break;
      default:
        this.increment.set(incrementOpt(key), value);
    }
    return this.getOption(key);
  }

  /** findtime as fail2ban shows it: a float (`1.5m` → `90.0`) stays one. */
  findtimeShown(): string | number {
    return secondsShown(this.fails.findtime, this.findtimeFloat);
  }

  getOption(key: JailOptionKey): number | string | boolean | null {
    switch (key) {
      case 'findtime':
        return this.fails.findtime;
      case 'bantime':
        return this.bantime;
      case 'maxretry':
        return this.fails.maxretry;
      case 'maxmatches':
        return this.fails.maxmatches;
      default:
        return this.increment.get(incrementOpt(key));
    }
  }

  // ---- internals ----

  private async ignored(s: IgnoreSubject): Promise<boolean> {
    const src = await this.ignore.check(s);
    if (src === null) return false;
    if (src !== 'cache') this.log('INFO', `Ignore ${s.id} by ${src}`);
    return true;
  }

  private ticketOf(e: FailEntry): BanTicket {
    return {
      jail: this.name,
      id: e.id,
      ip: e.ip,
      time: e.last,
      bantime: this.bantime,
      banCount: 0,
      failures: e.failures,
      matches: e.matches ?? [],
      fields: { ...e.fields },
      restored: false,
    };
  }

  /** Apply bantime.increment and add to the ban list; the ticket when it is a new ban. */
  private ban(t: BanTicket, now: number): BanTicket | null {
    const base = t.bantime;
    let bad: PreviousBan | null = null;
    // fail2ban increases a ban once it is in the list: a repeat for an id already banned is
    // compared with the jail's bantime, so it does not stretch the running ban
    if (this.increment.enabled && this.previousBan && !this.bans.has(t.id)) {
      bad = this.previousBan(t.id, this.increment.overalljails);
      if (bad) {
        t.banCount = Math.max(bad.banCount, 0);
        const r = this.increment.bantime(base, bad);
        if (r.error) this.log('ERROR', r.error);
        if (r.bantime > base) t.bantime = r.bantime;
      }
    }
    const r = this.bans.add(t, now);
    switch (r.status) {
      case 'added':
        this.log('NOTICE', `Ban ${t.id}`, 'actions');
        if (bad && t.time > bad.time && this.logs('INFO')) {
          const to = t.bantime < 0 ? 'permanent' : sec2str(t.bantime);
          this.log('INFO', `IP ${t.id} is bad: ${bad.banCount} # last ${time2str(bad.time)} - incr ${sec2str(base)} to ${to}`, 'observer');
        }
        if (t.bantime !== base) {
          const shown = t.bantime < 0 ? 'permanent -> infinite' : `${sec2str(t.bantime)} -> ${time2str(t.time + t.bantime)}`;
          this.log('NOTICE', `Increase Ban ${t.id} (${t.banCount + 1} # ${shown})`, 'observer');
        }
        return t;
      case 'expired':
        this.log('INFO', `Ignore ${t.id}, expired bantime`, 'actions');
        return null;
      default:
        this.alreadyBanned(t, r.ticket);
        return null;
    }
  }

  private alreadyBanned(t: BanTicket, existing: BanTicket): void {
    // fail2ban grades the message by how late the repeat is (backend latency vs. something wrong)
    const late = t.time - existing.time;
    this.log(late < 3 ? 'DEBUG' : late < 60 ? 'NOTICE' : 'WARNING', `${t.id} already banned`, 'actions');
  }
}

function incrementOpt(key: string): IncrementOption {
  const opt = key.startsWith('bantime.') ? key.slice(8) : '';
  if (!(INCREMENT_OPTIONS as readonly string[]).includes(opt)) throw new ConfigError(`unknown jail option ${JSON.stringify(key)}`);
  return opt as IncrementOption;
}
