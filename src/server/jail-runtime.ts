import type { Action } from '../actions/action.js';
import { CommandAction } from '../actions/command/command-action.js';
import type { ActionDef, JailDef, LogPathDef } from '../config/types.js';
import type { JailControl } from '../control/api.js';
import type { StatusPair } from '../control/beautify.js';
import { badValue, CommandError, invalidCommand, keyError, missingArgument, noGetAction, noSetAction } from '../control/errors.js';
import { batchClock, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { BanTicket, Failure, LogLine } from '../core/failure.js';
import { DateDetector } from '../filter/date/index.js';
import { Filter } from '../filter/filter.js';
import { str2sec } from '../config/timespec.js';
import { IgnoreList } from '../jail/ignore.js';
import { INCREMENT_OPTIONS, type IncrementTexts } from '../jail/increment.js';
import { Jail, type JailOptionKey } from '../jail/jail.js';
import { pyBool } from '../jail/time-value.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { resolveEncoding } from '../sources/file/encoding.js';
import { FileSource } from '../sources/file/file-source.js';
import { JournalSource, journalArgsFromBackendOptions } from '../sources/journal/journal-source.js';
import type { LinesMeta, LogSource } from '../sources/source.js';
import type { BanStore } from '../store/store.js';
import { hostIo } from './host-io.js';
import { bantimeSetLine, configuredSettingLines, settingLines, type SettingLine } from './setting-log.js';
import { timestampMessages } from './timestamp-warnings.js';
import {
  ACTION_METHODS,
  actionProperties,
  actionProperty,
  addLogpath,
  commandError,
  commandInt,
  delLogpath,
  EDIT_VIEW,
  editFilter,
  editJournalmatch,
  FILTER_EDITS,
  LISTED_METHODS,
  methodCall,
  newAction,
  setActionProperty,
} from './jail-edit.js';

/**
 * One running jail: the pipeline for its logs,
 *   source --LogLine--> filter --Failure--> jail --BanTicket--> store + actions
 * plus fail2ban's `status`/`get`/`set` view of it for the control socket.
 */
export interface RuntimeDeps {
  store: BanStore | null;
  logger: Logger;
  clock: Clock;
  dbmaxmatches: () => number;
  metrics: Metrics;
}

const MAX_TIMER = 2 ** 31 - 1;
/** Failure batches (one per source chunk) that may wait for the jail before the source pauses. */
const MAX_BACKLOG = 2;

/** Names whose lookup failed, and when it was reported (fail2ban's DNS cache: 1000 names, 5 min). */
const unresolvedWarned = new Map<string, number>();
const DNS_CACHE_SECONDS = 300;

/** fail2ban.ipdns warns once per name while its failed lookup stays cached (all jails share it). */
function warnUnresolved(logger: Logger, now: number, name: string): void {
  const since = unresolvedWarned.get(name);
  if (since !== undefined && now - since < DNS_CACHE_SECONDS) return;
  unresolvedWarned.set(name, now);
  if (unresolvedWarned.size > 1000) unresolvedWarned.delete(unresolvedWarned.keys().next().value!);
  logger.child('ipdns').warning(`Unable to find a corresponding IP address for ${name}: [Errno -2] Name or service not known`);
}

export class JailRuntime implements JailControl {
  readonly name: string;
  def: JailDef;
  filter: Filter | null;
  readonly jail: Jail;
  actions: Action[] = [];
  actionDefs: ActionDef[];
  source: LogSource | null = null;
  private work: Promise<unknown> = Promise.resolve();
  /** Batches of failures handed to `work` and not yet counted. */
  private backlog = 0;
  private pending: BanTicket[] = [];
  private flushTimer: NodeJS.Immediate | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private running = false;
  idle = false;
  /** The filter's "now": read once per batch of lines (see batchClock), not per line. */
  private readonly filterClock: Clock & { tick(): void };
  /** `bantime.<name>` values for names fail2ban does not use (it stores and answers them). */
  private readonly bantimeExtra = new Map<string, string>();

  constructor(
    def: JailDef,
    private readonly deps: RuntimeDeps,
  ) {
    this.name = def.name;
    this.def = def;
    this.actionDefs = def.actions;
    const ignore = new IgnoreList(
      {
        clock: deps.clock,
        ...hostIo,
        runCommand: (command, subject) =>
          hostIo.runCommand(command, subject, (level, msg) => {
            deps.logger.child('utils').log(level.toUpperCase(), msg);
          }),
        unresolved: (name) => {
          warnUnresolved(deps.logger, deps.clock.now(), name);
        },
        log: (level, msg) => {
          deps.logger.child('filter').log(level, msg);
        },
      },
      {
        ignoreself: def.ignoreself,
        ignoreip: def.ignoreip,
        ignorecommand: def.ignorecommand,
        ignorecache: def.options.ignorecache ?? null,
      },
    );
    this.jail = new Jail({
      name: def.name,
      maxretry: def.maxretry,
      maxmatches: def.maxmatches,
      findtime: def.findtime,
      bantime: def.bantime,
      increment: def.increment,
      incrementGiven: incrementTexts(def),
      clock: deps.clock,
      ignore,
      previousBan: deps.store ? (id, all) => deps.store!.previousBan(id, all ? null : def.name) : undefined,
      resolve: hostIo.resolve,
      logThreshold: () => deps.logger.levelNo(),
      // the jail names the fail2ban logger each line comes from
      log: (level, msg, source = 'filter') => {
        deps.logger.child(source).log(level, msg);
      },
    });
    this.jail.setOption('findtime', findtimeText(def));
    this.filterClock = batchClock(deps.clock);
    this.filter = this.buildFilter(def);
  }

  private buildFilter(def: JailDef): Filter | null {
    if (!def.filter) return null;
    return new Filter(def.filter, {
      clock: this.filterClock,
      mode: 'live',
      usedns: def.usedns,
      logtimezone: def.logtimezone,
      findtime: def.findtime,
      warn: (w) => {
        const log = this.deps.logger.child('filter');
        for (const m of timestampMessages(w)) log.warning(`[${this.name}] ${m}`);
      },
    });
  }

  private buildActions(defs: ActionDef[]): Action[] {
    const log = this.deps.logger.child('actions');
    const store = this.deps.store;
    return defs.map(
      (d) =>
        new CommandAction(d, {
          jail: {
            name: this.name,
            info: () => {
              const s = this.jail.status();
              return {
                banned: s.currentlyBanned,
                bannedTotal: s.totalBanned,
                found: s.currentlyFailed,
                foundTotal: s.totalFailed,
              };
            },
          },
          logger: (level, msg, source) => {
            (source === undefined ? log : this.deps.logger.child(source)).log(level.toUpperCase(), msg);
          },
          clock: this.deps.clock,
          lookups: {
            fqdn: hostIo.fqdn,
            hostname: hostIo.reverse,
            // the ban is recorded before its actions run, so the merge includes it
            ipInfo: store
              ? (t, jailOnly) =>
                  Promise.resolve(store.mergedBans(t.id, jailOnly ? this.name : null, this.deps.dbmaxmatches()))
              : undefined,
          },
        }),
    );
  }

  /** `announce`: which opened files to log as added (default all). */
  private makeSource(def: JailDef, announce?: (path: string) => boolean): LogSource | null {
    const store = this.deps.store;
    const positions = store
      ? {
          get: (p: string) => store.getLogPosition(this.name, p),
          set: (p: string, pos: { firstLineMd5: string; pos: number }) => {
            store.setLogPosition(this.name, p, pos);
          },
        }
      : undefined;
    const slog = this.deps.logger.child('filter');
    const log = (level: string, msg: string): void => {
      slog.log(level.toUpperCase(), msg);
    };
    const onLines = (lines: LogLine[], meta: LinesMeta): Promise<unknown> | undefined => this.onLines(lines, meta);
    if (def.backend === 'systemd') {
      return new JournalSource(
        {
          matches: def.filter?.journalmatch ?? [],
          positions,
          log,
          since: this.deps.clock.now() - def.findtime,
          extraArgs: journalArgsFromBackendOptions(def.backendOptions),
        },
        onLines,
      );
    }
    if (def.logpath.length === 0) return null;
    const backend = def.backend === 'polling' || def.backend === 'pyinotify' ? def.backend : 'auto';
    return new FileSource(
      { patterns: def.logpath, backend, encoding: def.logencoding, positions, log, headStart: this.headStart(def), announce },
      onLines,
    );
  }

  /** fail2ban's head start: a log read from 0 is entered at now - findtime (by the lines' dates). */
  private headStart(def: JailDef): { since: () => number; dateOf: (line: string) => number | null } | undefined {
    const filter = def.filter;
    if (!filter || filter.datepattern?.trim().toUpperCase() === '{NONE}') return undefined;
    const clock = this.deps.clock;
    // its own detector: probing random lines must not disturb the filter's template order
    const detector = new DateDetector({ datepattern: filter.datepattern, logtimezone: def.logtimezone, clock });
    return {
      since: () => clock.now() - def.findtime,
      dateOf: (line) => detector.match(line)?.time ?? null,
    };
  }

  /**
   * Log settings as fail2ban's setters do; `key` null: all the configuration gives. `created`:
   * the jail is new (see configuredSettingLines).
   */
  announce(key: string | null, created?: { hasDatabase: boolean }): void {
    const lines: SettingLine[] =
      key === null
        ? configuredSettingLines(this.def, this.jail, this.filter, created)
        : settingLines(key, this.jail, this.filter, this.def);
    for (const l of lines) this.deps.logger.child(l.logger).log(l.level ?? 'INFO', l.msg);
  }

  /** Find and open the logs ("Added logfile"), as fail2ban does while a jail is configured. */
  async open(): Promise<void> {
    this.source ??= this.makeSource(this.def);
    await this.source?.open();
  }

  /** fail2ban's order: "Jail started", then the actions start and restore the saved bans. */
  async start(): Promise<void> {
    this.deps.store?.addJail(this.name);
    this.actions = this.buildActions(this.actionDefs);
    this.deps.logger.child('jail').info(`Jail '${this.name}' started`);
    if (this.deps.store?.leftRunning(this.name)) {
      // killed or crashed before: its firewall rules are still there (fail2ban 1.0.2 bans again on top of them)
      this.deps.logger
        .child('jail')
        .info(`Jail '${this.name}' was not stopped by the last server: its actions flush what it left before the bans are restored`);
      for (const a of this.actions) a.expectLeftovers?.();
    }
    for (const a of this.actions) await a.start();
    this.running = true;
    // the bans come back before any line is read: a restored address is not counted anew
    await this.restoreBans();
    this.source ??= this.makeSource(this.def);
    await this.source?.start();
  }

  private async restoreBans(): Promise<void> {
    const store = this.deps.store;
    if (!store) return;
    const now = this.deps.clock.now();
    const saved = store.currentBans(this.name, now, {
      maxBantime: this.jail.maxBantime(),
      incrementEnabled: this.jail.increment.enabled,
      bantime: this.jail.bantime,
    });
    const restored = await this.jail.restore(saved);
    if (restored.length > 0) await this.applyBans(restored, false);
    this.armExpiry();
  }

  /** Stop reading its logs ("Removed logfile" for each file). */
  async stopReading(): Promise<void> {
    const source = this.source;
    this.source = null;
    if (!source) return;
    const files = source.files();
    await source.stop();
    this.logRemoved(files);
  }

  private logRemoved(files: Iterable<string>): void {
    for (const f of files) this.deps.logger.child('filter').info(`Removed logfile: '${f}'`);
  }

  /**
   * Follow `def`'s logs with a new source. Logpaths not `fresh` resume where they were (the
   * store's positions; without a store, at their end), without a line; only the files that come
   * or go are logged, as fail2ban's addlogpath/dellogpath do.
   */
  private async replaceSource(def: JailDef, fresh: ReadonlySet<string>): Promise<void> {
    const old = this.source;
    const before = new Set(old?.files() ?? []);
    old?.flushPositions();
    await old?.stop();
    const keep: LogPathDef['position'] = this.deps.store ? 'head' : 'tail';
    const logpath = def.logpath.map((p) => (fresh.has(p.pattern) ? p : { ...p, position: keep }));
    this.source = this.makeSource({ ...def, logpath }, (p) => !before.has(p));
    await this.source?.open();
    const after = new Set(this.source?.files() ?? []);
    this.logRemoved([...before].filter((f) => !after.has(f)));
    await this.source?.start();
  }

  /** Stop reading and, unless `keepBans`, lift every ban (flush when the action can). */
  async stop(opts: { keepBans?: boolean } = {}): Promise<void> {
    this.running = false;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    await this.stopReading();
    await this.work;
    await this.flushPending();
    if (!opts.keepBans) {
      const tickets = this.jail.unbanAll();
      await this.liftActions(tickets, true);
    }
    for (const a of this.actions) await a.stop();
    // bans lifted and actions stopped: a crash from here on leaves nothing of this jail behind
    if (!opts.keepBans) this.deps.store?.disableJail(this.name);
    this.deps.logger.child('jail').info(`Jail '${this.name}' stopped`);
  }

  /**
   * Lift tickets as fail2ban's flush does: each action with a flush command announces and runs
   * it (also with nothing banned), then the tickets are logged as unbanned (not when only the
   * actions change) and unbanned one by one with the actions that could not flush.
   */
  private async liftActions(tickets: BanTicket[], stopping: boolean, logUnbans = true): Promise<void> {
    const log = this.deps.logger.child('actions');
    const rest: Action[] = [];
    for (const a of this.actions) {
      if (a.flushable) {
        log.notice(`[${this.name}] Flush ticket(s) with ${a.name}`);
        if (await a.flush()) continue;
        // as fail2ban: a failed flush is not retried ban by ban; the action's invariant is
        // checked (and repaired, except when stopping: its stop command follows anyway)
        log.info('No flush occurred, do consistency check');
        if (a.consistencyCheck) {
          await a.consistencyCheck((repairOnUnban) => {
            if (!stopping || repairOnUnban) return true;
            log.error('Invariant check failed. Flush is impossible.');
            return false;
          });
          continue;
        }
      }
      rest.push(a);
    }
    if (logUnbans) this.jail.logUnbans(tickets);
    for (const a of rest) {
      if (a.unbanMany && tickets.length > 1) await a.unbanMany(tickets);
      else for (const t of tickets) await a.unban(t);
    }
  }

  /**
   * Lines from the source: filter them now, count failures in order. Returns the pending work
   * when more than a couple of batches wait for the jail, so the source pauses (backpressure).
   */
  private onLines(lines: LogLine[], meta: LinesMeta): Promise<unknown> | undefined {
    const filter = this.filter;
    if (!filter || this.idle) return undefined;
    filter.inOperation = !meta.catchingUp;
    this.filterClock.tick();
    this.deps.metrics.add(this.name, 'linesRead', lines.length);
    let failures = 0;
    // failures that must wait for earlier ones still being counted asynchronously
    let waiting: Failure[] | null = null;
    // The batch is ours (see OnLines): each line is let go once filtered, so a chunk's lines die
    // young instead of all surviving the scavenges that run while the batch is filtered.
    const batch: (LogLine | undefined)[] = lines;
    for (let i = 0; i < batch.length; i++) {
      const line = batch[i]!;
      batch[i] = undefined;
      const r = filter.processLine(line.text, line.time, line.withNewline, line.ascii);
      if (r.failures.length === 0) continue;
      failures += r.failures.length;
      for (const f of r.failures) {
        if (waiting === null && this.backlog === 0 && !f.resolveDns) {
          // nothing queued: count it now (order kept; its objects die young, not after the batch)
          const t = this.countNow(f);
          if (t === undefined) continue;
          waiting = [];
          this.enqueue(waiting, t);
        } else if (waiting === null) {
          waiting = [f];
          this.enqueue(waiting, null);
        } else waiting.push(f);
      }
    }
    if (failures > 0) this.deps.metrics.add(this.name, 'failures', failures);
    return this.backlog > MAX_BACKLOG ? this.work : undefined;
  }

  /** Counts one failure at once; a promise when its ignore check must wait (DNS, a command). */
  private countNow(f: Failure): Promise<BanTicket | null> | undefined {
    try {
      const r = this.jail.addFailureNow(f);
      // handled at once: it may settle before the queued step awaits it
      if (r instanceof Promise) return r.catch((e: unknown) => this.failureError(e));
      if (r) this.queueBan(r);
    } catch (e) {
      this.failureError(e);
    }
    return undefined;
  }

  private failureError(e: unknown): null {
    this.deps.logger.child('jail').error(`[${this.name}] failure handling: ${errorMessage(e)}`);
    return null;
  }

  /**
   * Queues failures behind the jail's pending work (`first`: one already being counted). The
   * array may still grow until the queued step runs: the rest of the same batch joins it.
   * One promise link per batch of lines, not one per failure (a catch-up brings 100k+).
   */
  private enqueue(batch: Failure[], first: Promise<BanTicket | null> | null): void {
    this.backlog++;
    this.work = this.work.then(async () => {
      if (first) {
        const t = await first;
        if (t) this.queueBan(t);
      }
      for (const f of batch) {
        try {
          if (f.resolveDns) {
            for (const one of await this.resolveFailure(f)) {
              const t = await this.jail.addFailure(one);
              if (t) this.queueBan(t);
            }
            continue;
          }
          const r = this.jail.addFailureNow(f);
          const t = r instanceof Promise ? await r : r;
          if (t) this.queueBan(t);
        } catch (e) {
          this.failureError(e);
        }
      }
      this.backlog--;
    });
  }

  /**
   * usedns = yes/warn: a host name found in the log stands for every address it resolves to
   * (one failure each), as fail2ban does; names that do not resolve are dropped.
   */
  private async resolveFailure(f: Failure): Promise<Failure[]> {
    if (!f.resolveDns) return [f];
    const ips = [...new Set(await hostIo.resolve(f.id))];
    const log = this.deps.logger.child('ipdns');
    if (ips.length === 0) {
      warnUnresolved(this.deps.logger, this.deps.clock.now(), f.id);
      return [];
    }
    // Python's repr of the set of addresses
    if (f.resolveDns === 'warn') log.warning(`Determined IP using DNS Lookup: ${f.id} = {${ips.map((i) => `'${i}'`).join(', ')}}`);
    return ips.map((ip) => ({ ...f, id: ip, ip, resolveDns: undefined }));
  }

  /** Bans that become due together go to the actions as one batch. */
  private queueBan(t: BanTicket): void {
    this.pending.push(t);
    this.flushTimer ??= setImmediate(() => {
      this.flushTimer = null;
      void this.flushPending();
    });
  }

  private async flushPending(): Promise<void> {
    if (this.flushTimer) {
      clearImmediate(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    await this.applyBans(batch, true);
    this.armExpiry();
  }

  private async applyBans(tickets: BanTicket[], record: boolean): Promise<void> {
    // Record first: a crash between the store and the firewall is repaired by the restore at start.
    if (record && this.deps.store) {
      try {
        this.deps.store.addBans(tickets, this.deps.dbmaxmatches());
      } catch (e) {
        this.deps.logger.child('database').error(`[${this.name}] cannot record bans: ${errorMessage(e)}`);
      }
    }
    this.deps.metrics.add(this.name, 'bans', tickets.length);
    for (const a of this.actions) {
      try {
        if (a.banMany && tickets.length > 1) await a.banMany(tickets);
        else for (const t of tickets) await a.ban(t);
      } catch (e) {
        this.deps.logger.child('actions').error(`[${this.name}] action ${a.name}: ${errorMessage(e)}`);
      }
    }
  }

  private async applyUnbans(tickets: BanTicket[]): Promise<void> {
    if (tickets.length === 0) return;
    this.deps.metrics.add(this.name, 'unbans', tickets.length);
    for (const a of this.actions) {
      try {
        if (a.unbanMany && tickets.length > 1) await a.unbanMany(tickets);
        else for (const t of tickets) await a.unban(t);
      } catch (e) {
        this.deps.logger.child('actions').error(`[${this.name}] action ${a.name}: ${errorMessage(e)}`);
      }
    }
  }

  /** One timer for the earliest end of ban (a heap inside the ban list), never a scan. */
  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    if (!this.running) return;
    const next = this.jail.nextExpiry();
    if (next === null || !Number.isFinite(next)) return;
    const delay = Math.min(MAX_TIMER, Math.max(0, (next - this.deps.clock.now()) * 1000 + 5));
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      const due = this.jail.popExpired(this.deps.clock.now());
      void this.applyUnbans(due).finally(() => {
        this.armExpiry();
      });
    }, delay);
    this.expiryTimer.unref();
  }

  /** Remove bans by command (`unbanip`, `unban`): firewall, store, state. */
  async unbanIds(ids: string[], reportAbsent: boolean): Promise<number> {
    const { unbanned, missed } = await this.jail.unban(ids);
    if (reportAbsent && missed.length > 0)
      throw badValue(`not banned: [${missed.map((m) => `'${m}'`).join(', ')}]`);
    for (const t of unbanned) this.deps.store?.removeBan(this.name, t.id);
    await this.applyUnbans(unbanned);
    this.armExpiry();
    return unbanned.length;
  }

  async unbanEverything(): Promise<number> {
    const all = this.jail.unbanAll();
    this.deps.store?.removeAllBans(this.name);
    await this.liftActions(all, false);
    this.armExpiry();
    return all.length;
  }

  /** Swap in a new definition without losing bans (reload). */
  async reconfigure(def: JailDef): Promise<void> {
    // Build everything that can fail first, so a definition that does not build leaves the jail
    // (its filter, actions and the bans they hold) as it was.
    const oldDef = this.def;
    const filter = this.buildFilter(def);
    const actionsChanged = JSON.stringify(oldDef.actions) !== JSON.stringify(def.actions);
    const actions = actionsChanged ? this.buildActions(def.actions) : null;
    this.jail.increment.replace(def.increment, incrementTexts(def));
    this.def = def;
    this.filter = filter;
    this.jail.setOption('findtime', findtimeText(def));
    this.jail.setOption('maxretry', String(def.maxretry));
    this.jail.setOption('maxmatches', String(def.maxmatches));
    this.jail.bantime = def.bantime;
    this.announce(null);
    this.jail.ignore.clear();
    for (const ip of def.ignoreip) this.jail.ignore.add(ip);
    if (actions) {
      // Different actions: lift the bans from the old ones, apply them with the new ones.
      const current = this.jail.bans.tickets();
      await this.liftActions(current, true, false);
      for (const a of this.actions) await a.stop();
      this.actionDefs = def.actions;
      this.actions = actions;
      for (const a of this.actions) await a.start();
      if (current.length > 0) await this.applyBans(current, false);
    }
    if (JSON.stringify(oldDef.logpath) !== JSON.stringify(def.logpath) || oldDef.backend !== def.backend) {
      const had = new Set(oldDef.logpath.map((p) => p.pattern));
      await this.replaceSource(def, new Set(def.logpath.map((p) => p.pattern).filter((p) => !had.has(p))));
    }
  }

  flushPositions(): void {
    this.source?.flushPositions();
  }

  /** True between start() and stop() (a jail made by `add` exists before it starts). */
  get started(): boolean {
    return this.running;
  }

  // ---- live edits (`set <jail> …`) ------------------------------------------------------

  /** Actions added while the jail runs start on their first ban (their commands come later). */
  private readonly lateActions = new Set<string>();
  /** Source restarts one at a time. */
  private edits: Promise<unknown> = Promise.resolve();

  /** Build the filter of the edited definition; swap both in only if that succeeds. */
  private applyFilterEdit(key: string, args: string[]): unknown {
    const { def, warning } = editFilter(this.def, key, args);
    if (def !== this.def) {
      let filter: Filter | null;
      try {
        filter = this.buildFilter(def);
      } catch (e) {
        throw commandError(e);
      }
      if (filter && this.filter) filter.inOperation = this.filter.inOperation;
      this.def = def;
      this.filter = filter;
    }
    if (key === 'maxlines' || key === 'datepattern') this.announce(key);
    if (warning) this.deps.logger.child('filter').error(`[${this.name}] ${warning}`);
    if (key === 'logtimezone') return args[0] ?? '';
    return this.get(EDIT_VIEW[key]!, []);
  }

  /**
   * Follow a new logpath list. The source is rebuilt: files it already followed resume where
   * they were (the store's positions; without a store, at their end), new ones as asked.
   */
  private async relog(def: JailDef, fresh: ReadonlySet<string>): Promise<void> {
    this.def = def;
    if (!this.running) return;
    const run = this.edits.then(async () => {
      await this.replaceSource(this.def, fresh);
    });
    this.edits = run.catch(() => undefined);
    await run;
  }

  private async editSource(key: string, args: string[]): Promise<unknown> {
    const current = this.source?.files() ?? [];
    switch (key) {
      case 'addlogpath': {
        const logpath = addLogpath(this.def, current, args);
        if (logpath) await this.relog({ ...this.def, logpath }, new Set([args[0]!]));
        break;
      }
      case 'dellogpath': {
        const logpath = delLogpath(this.def, current, args);
        if (logpath) await this.relog({ ...this.def, logpath }, new Set());
        break;
      }
      case 'logencoding': {
        if (args.length === 0) throw missingArgument();
        const enc = args[0]!.trim();
        if (enc.toLowerCase() !== 'auto') {
          try {
            resolveEncoding(enc);
          } catch {
            throw badValue(`unknown encoding: ${enc}`);
          }
        }
        if (enc !== this.def.logencoding) await this.relog({ ...this.def, logencoding: enc }, new Set());
        this.announce('logencoding');
        break;
      }
      default:
        // fail2ban edits journal matches of journal jails only; for others it is a no-op
        if (this.def.backend === 'systemd') await this.relog(editJournalmatch(this.def, key, args), new Set());
    }
    return this.get(EDIT_VIEW[key]!, []);
  }

  private actionIndex(name: string | undefined): number {
    const i = this.actionDefs.findIndex((a) => a.actname === name);
    if (i < 0) throw keyError(`Invalid Action name: ${name ?? ''}`);
    return i;
  }

  /** The definition an action runs with (late ones start on demand). */
  private runDef(d: ActionDef): ActionDef {
    return this.lateActions.has(d.actname) ? { ...d, options: { actionstart_on_demand: 'true', ...d.options } } : d;
  }

  private async editActions(key: string, args: string[]): Promise<unknown> {
    if (key === 'addaction') {
      const [name, ...rest] = args;
      if (name === undefined) throw missingArgument();
      if (this.actionDefs.some((a) => a.actname === name)) throw badValue(`Action ${name} already exists`);
      const def = newAction(name, rest);
      this.actionDefs = [...this.actionDefs, def];
      this.def = { ...this.def, actions: this.actionDefs };
      if (this.running) {
        this.lateActions.add(name);
        this.actions.push(...this.buildActions([this.runDef(def)]));
      }
      return name;
    }
    if (key === 'delaction') {
      if (args.length === 0) throw missingArgument();
      if (args.length > 1) throw invalidCommand();
      const i = this.actionIndex(args[0]);
      this.actionDefs = this.actionDefs.filter((_, n) => n !== i);
      this.def = { ...this.def, actions: this.actionDefs };
      this.lateActions.delete(args[0]!);
      const a = this.actions.find((x) => x.name === args[0]);
      if (a) {
        // its firewall state would otherwise outlive it with nothing left to remove it
        this.actions = this.actions.filter((x) => x !== a);
        await a.stop();
      }
      return null;
    }
    // action ACT PROP VALUE, or action ACT METHOD [JSON]
    const [act, prop, value, ...rest] = args;
    if (prop === undefined) throw missingArgument();
    const i = this.actionIndex(act);
    if (ACTION_METHODS.includes(prop)) return this.callAction(act!, prop, args.slice(2));
    if (value === undefined) throw missingArgument();
    if (rest.length > 0) throw invalidCommand();
    let edited: { def: ActionDef; value: string };
    try {
      edited = setActionProperty(this.actionDefs[i]!, prop, value);
    } catch (e) {
      throw commandError(e);
    }
    this.actionDefs = this.actionDefs.map((d, n) => (n === i ? edited.def : d));
    this.def = { ...this.def, actions: this.actionDefs };
    const a = this.actions.find((x) => x.name === act);
    if (a instanceof CommandAction) a.reconfigure(this.runDef(edited.def));
    return edited.value;
  }

  /** Runs one method of a running action, as fail2ban's method call does (replies True or None). */
  private async callAction(name: string, method: string, args: string[]): Promise<unknown> {
    const t = methodCall(method, args, { jail: this.name, bantime: this.jail.bantime, now: this.deps.clock.now() });
    const a = this.actions.find((x) => x.name === name);
    if (!a) throw badValue(`Action ${name} is not running (start the jail first)`);
    if (t === null) {
      if (method === 'start') await a.start();
      else if (method === 'stop') await a.stop();
      else if (method === 'flush') await a.flush();
      else await a.reload();
      return true;
    }
    if (method === 'ban') await a.ban(t);
    else if (method === 'unban') await a.unban(t);
    else if (method === 'prolong') await (a.prolong ?? a.ban).call(a, t);
    else await (a.reban ?? a.ban).call(a, t);
    return null;
  }

  // ---- control view -------------------------------------------------------------------

  status(flavor: string): StatusPair[] {
    const s = this.jail.status();
    const filter: StatusPair[] = [
      ['Currently failed', s.currentlyFailed],
      ['Total failed', s.totalFailed],
    ];
    if (this.def.backend === 'systemd')
      filter.push(['Journal matches', (this.def.filter?.journalmatch ?? []).join(' + ')]);
    else filter.push(['File list', this.source?.files() ?? []]);
    const actions: StatusPair[] = [
      ['Currently banned', s.currentlyBanned],
      ['Total banned', s.totalBanned],
    ];
    if (flavor !== 'short') actions.push(['Banned IP list', s.bannedIds]);
    return [
      ['Filter', filter],
      ['Actions', actions],
    ];
  }

  isBanned(id: string): boolean {
    return this.jail.isBanned(id);
  }

  bannedIds(): string[] {
    return this.jail.status().bannedIds;
  }

  get(key: string, args: string[]): unknown {
    const f = this.filter;
    switch (key) {
      case 'logpath':
        return this.source ? this.source.files() : this.def.logpath.map((p) => p.pattern);
      case 'logencoding':
        return this.def.logencoding === 'auto' ? 'UTF-8' : this.def.logencoding;
      case 'journalmatch':
        // fail2ban hands the filter's journalmatch to the jail only for the systemd backend
        return this.def.backend === 'systemd'
          ? (this.def.filter?.journalmatch ?? []).map((m) => m.split(/\s+/))
          : [];
      case 'ignoreself':
        return this.def.ignoreself;
      case 'ignoreip':
        return this.jail.ignore.entries();
      case 'ignorecommand':
        return this.def.ignorecommand;
      case 'ignorecache':
        return this.jail.ignore.cacheInfo();
      case 'prefregex':
        return f?.prefRegex?.regex.source ?? '';
      case 'failregex':
        return f?.failRegexes.map((r) => r.regex.source) ?? [];
      case 'ignoreregex':
        return f?.ignoreRegexes.map((r) => r.regex.source) ?? [];
      case 'datepattern':
        return datePatternView(this.def.filter?.datepattern ?? null, f?.dateDetector.templates.map((t) => t.name));
      case 'logtimezone':
        return this.def.logtimezone;
      case 'usedns':
        return this.def.usedns;
      case 'maxlines':
        return f?.maxlines ?? 1;
      case 'banip':
        return args[0] === '--with-time' ? this.jail.banIpsWithTime() : this.jail.banIps();
      case 'banned':
        if (args.length === 0) return this.bannedIds();
        return args.length === 1
          ? this.isBanned(args[0]!)
            ? 1
            : 0
          : args.map((a) => (this.isBanned(a) ? 1 : 0));
      case 'actions':
        return this.actionDefs.map((a) => a.actname);
      case 'findtime':
        return this.jail.findtimeShown();
      case 'bantime':
      case 'maxretry':
      case 'maxmatches':
        return this.jail.getOption(key);
    }
    if (key.startsWith('bantime.')) {
      if ((INCREMENT_OPTIONS as readonly string[]).includes(key.slice(8))) return this.jail.getOption(key as JailOptionKey);
      return this.bantimeExtra.get(key.slice(8)) ?? null;
    }
    if (key === 'action' || key === 'actionproperties' || key === 'actionmethods') {
      if (args[0] === undefined || (key === 'action' && args[1] === undefined)) throw missingArgument();
      const act = this.actionDefs[this.actionIndex(args[0])]!;
      if (key === 'actionproperties') return actionProperties(act);
      if (key === 'actionmethods') return LISTED_METHODS;
      return actionProperty(act, args[1]!);
    }
    throw noGetAction();
  }

  async set(key: string, args: string[]): Promise<unknown> {
    // fail2ban takes `command[2]`: more values are ignored, none is an IndexError
    const one = (): string => {
      if (args.length === 0) throw missingArgument();
      return args[0]!;
    };
    if (FILTER_EDITS.has(key)) return this.applyFilterEdit(key, args);
    switch (key) {
      case 'addlogpath':
      case 'dellogpath':
      case 'logencoding':
      case 'addjournalmatch':
      case 'deljournalmatch':
        return this.editSource(key, args);
      case 'addaction':
      case 'delaction':
      case 'action':
        return this.editActions(key, args);
      case 'ignoreself':
        this.jail.ignore.ignoreself = pyBool(one());
        this.def = { ...this.def, ignoreself: this.jail.ignore.ignoreself };
        return this.jail.ignore.ignoreself;
      case 'ignorecommand':
        this.jail.ignore.ignorecommand = one();
        this.def = { ...this.def, ignorecommand: this.jail.ignore.ignorecommand };
        return this.jail.ignore.ignorecommand;
      case 'ignorecache': {
        const spec = one();
        try {
          this.jail.ignore.setCache(spec);
        } catch (e) {
          throw commandError(e);
        }
        return this.jail.ignore.cacheInfo();
      }
      case 'banip': {
        const tickets = this.jail.banManually(args);
        await this.applyBans(tickets, true);
        this.armExpiry();
        return tickets.length;
      }
      case 'unbanip': {
        if (args.length === 0) throw missingArgument();
        const report = args[0] === '--report-absent';
        return this.unbanIds(report ? args.slice(1) : args, report);
      }
      case 'attempt': {
        const [id, ...matches] = args;
        if (id === undefined) throw badValue("Filter.addAttempt() missing 1 required positional argument: 'ip'");
        const t = this.jail.attempt(id, matches);
        if (t) {
          await this.applyBans([t], true);
          this.armExpiry();
        }
        return 1;
      }
      case 'addignoreip':
        for (const a of args) this.jail.ignore.add(a);
        return this.jail.ignore.entries();
      case 'delignoreip':
        // fail2ban removes one entry (further values are ignored) and fails on an absent one
        if (!this.jail.ignore.remove(one())) throw badValue('list.remove(x): x not in list');
        return this.jail.ignore.entries();
      case 'idle': {
        const v = one();
        if (v !== 'on' && v !== 'off') throw new CommandError('Invalid', "Invalid idle option, must be 'on' or 'off'");
        this.idle = v === 'on';
        return this.idle;
      }
      case 'findtime':
      case 'bantime':
      case 'maxretry':
      case 'maxmatches': {
        const value = one();
        // Python's int() refuses these before fail2ban looks at them
        if (key === 'maxretry' || key === 'maxmatches') commandInt(value);
        let taken;
        try {
          taken = this.jail.setOption(key, value);
        } catch (e) {
          throw badValue(errorMessage(e));
        }
        this.announce(key);
        return key === 'findtime' ? this.jail.findtimeShown() : taken;
      }
    }
    if (key.startsWith('bantime.')) {
      // fail2ban takes the first value (ignoring more) and logs it before using it
      if (args.length === 0) throw missingArgument();
      const value = args[0]!;
      const opt = key.slice(8);
      this.deps.logger.child('jail').info(bantimeSetLine(opt, value));
      if ((INCREMENT_OPTIONS as readonly string[]).includes(opt)) {
        try {
          return this.jail.setOption(key as JailOptionKey, value);
        } catch (e) {
          throw badValue(errorMessage(e));
        }
      }
      // any other name is kept as given and answered back, as fail2ban 1.0.2 does
      if (value === '') this.bantimeExtra.delete(opt);
      else this.bantimeExtra.set(opt, value);
      return this.bantimeExtra.get(opt) ?? null;
    }
    throw noSetAction(key);
  }
}

/**
 * findtime as the config wrote it when that is what was read (`1.5m` stays a float, shown
 * `90.0`, as fail2ban's server gets the text), else the seconds.
 */
function findtimeText(def: JailDef): string {
  const t = def.options.findtime;
  try {
    if (t !== undefined && str2sec(t) === def.findtime) return t;
  } catch {
    // not a time after all: the seconds read stand
  }
  return String(def.findtime);
}

/** The bantime.* options the jail's config sets, as written. */
function incrementTexts(def: JailDef): IncrementTexts {
  const out: IncrementTexts = {};
  for (const opt of INCREMENT_OPTIONS) {
    const v = def.options[`bantime.${opt}`];
    if (v !== undefined) out[opt] = v;
  }
  return out;
}

/**
 * `get <jail> datepattern` as fail2ban answers it: one template per line of the pattern, and a
 * `{^LN-BEG}`/`{DEFAULT}`/`{DATE}` line stands for the whole default set; no pattern or more
 * than two templates reads "Default Detectors", else the first template.
 */
export function datePatternView(dp: string | null, templates?: readonly string[]): [string | null, string] {
  const lines = (dp ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const expands = (l: string): boolean => /^\{(\^LN-BEG|DEFAULT)\}$/i.test(l) || /\{DATE\}/i.test(l);
  if (lines.length === 0 || lines.length > 2 || lines.some(expands)) return [null, 'Default Detectors'];
  const first = lines[0]!;
  // the running detector's template names the pattern ("Year-Month-Day 24hour:Minute:Second");
  // fail2ban's named templates (Epoch, TAI64N, ISO8601) have no pattern of their own
  const name = templates?.length === 1 || templates?.length === 2 ? templates[0]! : first;
  if (/^\{NONE\}$/i.test(first)) return ['{UNB}^', name];
  if (/^(\{\^LN-BEG\})?(L?EPOCH|TAI64N|ISO8601)$/i.test(first)) return [null, name];
  return [first, name];
}
