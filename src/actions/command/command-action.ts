/**
 * An `action.d` action run the way fail2ban runs it: start/stop per address family, check +
 * repair + one retry on failure, one command at a time per action, batches for mass bans.
 */
import type { BanTicket } from '../../core/failure.js';
import { ipFamily } from '../../core/ip.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { ActionDef } from '../../config/types.js';
import type { Action, ActionLogger, JailHandle, LogLevel } from '../action.js';
import { ShellVars, shellArgv } from './escape.js';
import { actionInfoRepr } from './action-info.js';
import { logCommandFailure } from './exec-log.js';
import { ProcessRunner, parseDuration, type CommandRunner, type RunResult } from './runner.js';
import { StaticTags, fieldOfTag, substituteDynamic, tagsIn, type FamilyKey } from './tags.js';
import { familyOf, ticketValues, type TicketLookups } from './ticket-info.js';
import { batchShape, nftRebuild, type BatchShape } from './batch.js';
import { canonicalIp } from '../../core/ip.js';

export interface CommandActionDeps {
  jail: JailHandle;
  logger?: ActionLogger;
  runner?: CommandRunner;
  lookups?: TicketLookups;
  clock?: Clock;
}

type Op =
  | 'actionstart'
  | 'actionstop'
  | 'actioncheck'
  | 'actionban'
  | 'actionunban'
  | 'actionflush'
  | 'actionreload'
  | 'actionprolong'
  | 'actionrepair'
  | 'actionreban';

/** From this many unbans on, an nft interval set is rewritten instead of deleted from. */
const NFT_REBUILD_MIN = 64;
const STARTED = 1;
const HAS_BANS = 2;

function truthy(v: string): boolean {
  return /^(1|yes|true|on)$/i.test(v.trim());
}

export class CommandAction implements Action {
  readonly name: string;
  // set from the definition; `reconfigure` replaces them while the action runs
  timeout!: number;
  norestored!: boolean;
  startOnDemand!: boolean;
  private epoch = 0;
  private tags!: StaticTags;
  private readonly jail: JailHandle;
  private readonly log: ActionLogger;
  private readonly runner: CommandRunner;
  private readonly lookups: TicketLookups;
  private readonly clock: Clock;
  /** Per family: STARTED | HAS_BANS. */
  private readonly state = new Map<FamilyKey, number>();
  /** Families a server that did not stop may have left bans in (expectLeftovers). */
  private leftovers = new Set<FamilyKey>();
  /** Leftover flush commands already run (identical for both families in most actions). */
  private readonly flushedLeftovers = new Set<string>();
  /** Start command that ran per started family (identical commands run once for all families). */
  private readonly startedCmd = new Map<FamilyKey, string>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Per ticket: the tag values its commands used (see actionInfoRepr). */
  private readonly computed = new WeakMap<BanTicket, Map<string, string>>();

  constructor(def: ActionDef, deps: CommandActionDeps) {
    this.name = def.actname;
    this.jail = deps.jail;
    this.log = deps.logger ?? (() => undefined);
    this.runner = deps.runner ?? new ProcessRunner();
    this.lookups = deps.lookups ?? {};
    this.clock = deps.clock ?? systemClock;
    this.reconfigure(def);
  }

  /**
   * New options for the same action (`set <jail> action <act> <prop> <value>`): later commands
   * use them; started families and the families with bans are kept.
   */
  reconfigure(def: ActionDef): void {
    this.tags = new StaticTags(def.options, def.conditional, `action ${def.actname} (${def.file})`);
    const timeout = this.tags.option('timeout').trim();
    this.timeout = timeout ? parseDuration(timeout, `action ${def.actname}: timeout`) : 60;
    this.norestored = truthy(this.tags.option('norestored'));
    const onDemand = this.tags.option('actionstart_on_demand').trim();
    this.startOnDemand = onDemand ? truthy(onDemand) : this.tags.hasConditional;
  }

  get banEpoch(): number {
    return this.epoch;
  }

  /** Families this action currently has started (for status and tests). */
  startedFamilies(): FamilyKey[] {
    return [...this.state].filter(([, v]) => v & STARTED).map(([f]) => f);
  }

  // ---- public operations: serialized, never throwing ----

  start(): Promise<void> {
    return this.serial(async () => {
      if (this.startOnDemand) return;
      if (!(await this.startFamilies(this.families()))) this.opFailed('start');
    }, undefined);
  }

  stop(): Promise<void> {
    return this.serial(async () => {
      if (!(await this.stopFamilies(null))) this.opFailed('stop');
    }, undefined);
  }

  reload(): Promise<void> {
    return this.serial(async () => {
      const fams = this.startedFamilies();
      if (fams.length && !(await this.operation('actionreload', fams))) this.opFailed('reload');
    }, undefined);
  }

  expectLeftovers(): void {
    this.leftovers = new Set(this.families());
  }

  /** The families the action has: both when its commands differ by family, else one. */
  private families(): FamilyKey[] {
    return this.tags.hasConditional ? ['inet4', 'inet6'] : ['inet4'];
  }

  get flushable(): boolean {
    return this.tags.option('actionflush').trim() !== '';
  }

  flush(): Promise<boolean> {
    return this.serial(async () => {
      if (!this.tags.option('actionflush').trim()) return false;
      const fams = [...this.state].filter(([, v]) => (v & (STARTED | HAS_BANS)) === (STARTED | HAS_BANS));
      if (!fams.length) return true;
      const ok = await this.operation(
        'actionflush',
        fams.map(([f]) => f),
        (f, done) => {
          if (done) this.state.set(f, (this.state.get(f) ?? 0) & ~HAS_BANS);
        },
      );
      if (!ok)
        this.log(
          'error',
          `Failed to flush bans in jail '${this.jail.name}' action '${this.name}': Error flushing action Jail('${this.jail.name}')/${this.name}: 'Script error'`,
        );
      return ok;
    }, false);
  }

  /**
   * After a failed flush (fail2ban's consistencyCheck): the invariant check of each started
   * family, repaired unless `allowRepair` says no; a family whose repair failed counts as stopped.
   */
  consistencyCheck(allowRepair: (repairOnUnban: boolean) => boolean): Promise<boolean> {
    return this.serial(async () => {
      if (!this.tags.option('actioncheck').trim()) return true;
      let ok = true;
      for (const fam of this.startedFamilies()) {
        if ((await this.invariantCheck(fam, () => allowRepair(this.repairsOnUnban(fam)), true)) === 0) {
          this.state.set(fam, 0);
          this.startedCmd.delete(fam);
          ok = false;
        }
      }
      return ok;
    }, false);
  }

  ban(t: BanTicket): Promise<boolean> {
    return this.serial(() => this.doBan(t, 'actionban'), false);
  }

  reban(t: BanTicket): Promise<boolean> {
    return this.serial(
      () => this.doBan(t, this.tags.option('actionreban').trim() ? 'actionreban' : 'actionban'),
      false,
    );
  }

  unban(t: BanTicket): Promise<boolean> {
    return this.serial(() => this.doUnban(t), false);
  }

  prolong(t: BanTicket): Promise<boolean> {
    return this.serial(async () => {
      if (!this.tags.option('actionprolong').trim() || this.skipRestored(t)) return true;
      const ok = await this.processCmd('actionprolong', t, familyOf(t));
      if (!ok) this.ticketFailed('prolong', t, 'Error prolonging');
      return ok;
    }, false);
  }

  banMany(ts: BanTicket[]): Promise<boolean[]> {
    return this.serial(
      () => this.many(ts, 'add'),
      ts.map(() => false),
    );
  }

  unbanMany(ts: BanTicket[]): Promise<boolean[]> {
    return this.serial(
      () => this.many(ts, 'del'),
      ts.map(() => false),
    );
  }

  // ---- ticket operations ----

  private skipRestored(t: BanTicket): boolean {
    return t.restored && this.norestored;
  }

  private async doBan(t: BanTicket, op: 'actionban' | 'actionreban'): Promise<boolean> {
    if (this.skipRestored(t)) return true;
    const fam = familyOf(t);
    try {
      await this.ensureStarted(fam);
    } catch (e) {
      this.ticketFailed('ban', t, errorMessage(e));
      return false;
    }
    const ok = await this.processCmd(op, t, fam);
    if (!ok) {
      this.ticketFailed('ban', t, 'Error banning');
      return false;
    }
    this.state.set(fam, (this.state.get(fam) ?? 0) | STARTED | HAS_BANS);
    return true;
  }

  private async doUnban(t: BanTicket): Promise<boolean> {
    if (this.skipRestored(t)) return true;
    const fam = familyOf(t);
    // only where this action banned something
    if (!((this.state.get(fam) ?? 0) & HAS_BANS)) return true;
    const ok = await this.processCmd('actionunban', t, fam);
    if (!ok) this.ticketFailed('unban', t, 'Error unbanning');
    return ok;
  }

  private async ensureStarted(fam: FamilyKey): Promise<void> {
    if (!this.startOnDemand || (this.state.get(fam) ?? 0) & STARTED) return;
    if (!(await this.startFamilies([fam]))) {
      throw new Error(`Error starting action Jail('${this.jail.name}')/${this.name}: 'Script error'`);
    }
  }

  /**
   * fail2ban's `_processCmd`: run; on failure check the invariant (repairing if broken) and
   * retry once.
   */
  private async processCmd(op: Op, t: BanTicket, fam: FamilyKey): Promise<boolean> {
    let cmd: string;
    try {
      cmd = this.tags.expand(this.tags.raw(op, fam) ?? '', fam);
    } catch (e) {
      this.log('error', errorMessage(e));
      return false;
    }
    if (!cmd.trim()) return true;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && this.tags.option('actioncheck', fam).trim()) {
        const isUnban = op === 'actionunban';
        const r = await this.invariantCheck(fam, () => this.mayRepair(isUnban, fam), !isUnban);
        if (r !== 1) return false;
      }
      const ok = await this.exec(cmd, t, fam);
      if (ok || attempt > 0) return ok;
    }
  }

  /** A failed unban repairs only with `actionrepair_on_unban` (fail2ban logs why not). */
  private mayRepair(unban: boolean, fam: FamilyKey): boolean {
    if (!unban || this.repairsOnUnban(fam)) return true;
    this.log('error', 'Invariant check failed. Unban is impossible.', 'CommandAction');
    return false;
  }

  private repairsOnUnban(fam: FamilyKey): boolean {
    return truthy(this.tags.option('actionrepair_on_unban', fam));
  }

  /**
   * 1: sane (possibly after repair), 0: repair failed, -1: broken and not repaired because
   * `beforeRepair` (which logs why) said no.
   */
  private async invariantCheck(
    fam: FamilyKey,
    beforeRepair: () => boolean,
    forceStart: boolean,
  ): Promise<-1 | 0 | 1> {
    const check = this.expandOp('actioncheck', fam);
    if (!check.trim() || (await this.exec(check, null, fam))) return 1;
    if (!beforeRepair()) return -1;
    this.log('error', 'Invariant check failed. Trying to restore a sane environment', 'CommandAction');
    const repair = this.expandOp('actionrepair', fam);
    if (repair.trim()) {
      if (!(await this.exec(repair, null, fam))) {
        this.state.set(fam, 0);
        this.log('critical', 'Unable to restore environment', 'CommandAction');
        return 0;
      }
      this.state.set(fam, STARTED);
    } else {
      // no repair command: restart the family (its bans are gone; the jail rebans by epoch)
      await this.stopFamilies([fam]);
      if (forceStart || !this.startOnDemand) await this.startFamilies([fam]);
    }
    this.epoch++;
    if ((this.state.get(fam) ?? 0) & STARTED && !(await this.exec(check, null, fam))) {
      this.log('critical', 'Unable to restore environment', 'CommandAction');
      return 0;
    }
    return 1;
  }

  // ---- start/stop bookkeeping ----

  private async startFamilies(fams: FamilyKey[]): Promise<boolean> {
    let ok = true;
    for (const fam of fams) {
      if (this.leftovers.delete(fam)) await this.flushLeftovers(fam);
      let cmd: string;
      try {
        cmd = this.expandOp('actionstart', fam);
      } catch (e) {
        this.log('error', errorMessage(e));
        ok = false;
        continue;
      }
      const same = [...this.startedCmd].some(([f, c]) => f !== fam && c === cmd);
      const done = !cmd.trim() || same || (await this.exec(cmd, null, fam));
      if (done) {
        this.state.set(fam, (this.state.get(fam) ?? 0) | STARTED);
        this.startedCmd.set(fam, cmd);
      }
      ok &&= done;
    }
    return ok;
  }

  /**
   * Clears what a server that did not stop left of this family (expectLeftovers), before it
   * starts again. Quiet on failure: usually there is nothing left (its chain, set or table is
   * gone), and the start that follows reports any real problem.
   */
  private async flushLeftovers(fam: FamilyKey): Promise<void> {
    let cmd: string;
    try {
      cmd = this.expandOp('actionflush', fam);
    } catch {
      return;
    }
    if (cmd.trim() && !this.flushedLeftovers.has(cmd)) {
      this.flushedLeftovers.add(cmd);
      await this.exec(cmd, null, fam, true);
    }
  }

  /** Stop the given families, or every started one (null); flags are cleared first. */
  private async stopFamilies(only: FamilyKey[] | null): Promise<boolean> {
    const fams = only ?? [...this.state].filter(([, v]) => v).map(([f]) => f);
    if (!fams.length) return true;
    for (const f of fams) {
      this.state.set(f, 0);
      this.startedCmd.delete(f);
    }
    return this.operation('actionstop', fams);
  }

  /** Run an operation once per family; identical expanded commands run only once. */
  private async operation(
    op: Op,
    fams: FamilyKey[],
    after?: (f: FamilyKey, ok: boolean) => void,
  ): Promise<boolean> {
    let ok = true;
    const ran = new Set<string>();
    for (const fam of fams) {
      let done: boolean;
      try {
        const cmd = this.expandOp(op, fam);
        done = !cmd.trim() || ran.has(cmd) || (await this.exec(cmd, null, fam));
        if (done) ran.add(cmd);
      } catch (e) {
        this.log('error', errorMessage(e));
        done = false;
      }
      after?.(fam, done);
      ok &&= done;
    }
    return ok;
  }

  private expandOp(op: Op, fam: FamilyKey): string {
    return this.tags.expand(this.tags.raw(op, fam) ?? '', fam);
  }

  // ---- execution ----

  /** Dynamic pass + run. `t = null` is the pseudo-ticket (start/stop/check/flush). */
  private async exec(cmd: string, t: BanTicket | null, fam: FamilyKey, quiet = false): Promise<boolean> {
    const used = tagsIn(cmd);
    const values = await ticketValues(t, fam, used, {
      jail: this.jail,
      lookups: this.lookups,
      now: this.clock.now(),
    });
    if (t !== null) {
      // what the ticket's info has computed so far (its error message shows it)
      const seen = this.computed.get(t) ?? new Map<string, string>();
      for (const tag of used) {
        const v = values.get(tag);
        if (v !== undefined || fieldOfTag(tag) !== null) seen.set(tag, v ?? '');
      }
      this.computed.set(t, seen);
    }
    const vars = new ShellVars();
    const script = substituteDynamic(cmd, values, t?.fields ?? {}, vars);
    const res = await this.runner.run({ args: shellArgv(script, vars), timeout: this.timeout });
    if (!res.ok && !quiet)
      this.logFailure(
        res,
        vars.size ? `${script}  [vars: ${JSON.stringify(Object.fromEntries(vars.entries()))}]` : script,
      );
    return res.ok;
  }

  private logFailure(res: RunResult, what: string): void {
    logCommandFailure(
      (level, msg) => {
        this.log(level, msg, 'utils');
      },
      res,
      what,
      this.timeout,
    );
  }

  // ---- batches ----

  private async many(ts: BanTicket[], verb: 'add' | 'del'): Promise<boolean[]> {
    const results: boolean[] = new Array<boolean>(ts.length).fill(false);
    const op: Op = verb === 'add' ? 'actionban' : 'actionunban';
    const single = async (i: number): Promise<void> => {
      results[i] = verb === 'add' ? await this.doBan(ts[i]!, 'actionban') : await this.doUnban(ts[i]!);
    };
    const shapes = new Map<FamilyKey, BatchShape | null>();
    const shapeOf = (fam: FamilyKey): BatchShape | null => {
      if (!shapes.has(fam)) {
        let shape: BatchShape | null = null;
        try {
          shape = fam ? batchShape(this.expandOp(op, fam)) : null;
        } catch {
          shape = null;
        }
        shapes.set(fam, shape?.verb === verb ? shape : null);
      }
      return shapes.get(fam)!;
    };
    // Tickets a batch cannot take run one by one in the caller's order (fail2ban's: a jail's stop
    // unbans in ban order, whatever the family), the batches of each family after them.
    const batches = new Map<FamilyKey, number[]>();
    for (const [i, t] of ts.entries()) {
      const fam = familyOf(t);
      const addr = t.ip ?? t.id;
      if (this.skipRestored(t)) results[i] = true;
      else if (shapeOf(fam) && ipFamily(addr) === fam && !addr.includes('%')) {
        const batch = batches.get(fam);
        if (batch) batch.push(i);
        else batches.set(fam, [i]);
      } else await single(i);
    }
    for (const [fam, batch] of batches) {
      if (verb === 'add') {
        try {
          await this.ensureStarted(fam);
        } catch (e) {
          for (const i of batch) this.ticketFailed('ban', ts[i]!, errorMessage(e));
          continue;
        }
      } else if (!((this.state.get(fam) ?? 0) & HAS_BANS)) {
        for (const i of batch) results[i] = true;
        continue;
      }
      await this.runBatch(shapeOf(fam)!, fam, batch, ts, results, single, true);
    }
    return results;
  }

  /** One process for the whole batch; on failure check/repair once, then bisect to find the bad tickets. */
  private async runBatch(
    shape: BatchShape,
    fam: FamilyKey,
    idx: number[],
    ts: BanTicket[],
    results: boolean[],
    single: (i: number) => Promise<void>,
    mayRepair: boolean,
  ): Promise<void> {
    if (idx.length === 1) return single(idx[0]!);
    const addrs = idx.map((i) => ts[i]!.ip ?? ts[i]!.id);
    if (
      shape.verb === 'del' &&
      shape.nftSet &&
      idx.length >= NFT_REBUILD_MIN &&
      (await this.nftRebuild(shape, shape.nftSet, addrs))
    ) {
      for (const i of idx) results[i] = true;
      return;
    }
    const res = await this.runner.run({
      file: shape.program,
      args: shape.args,
      stdin: shape.render(addrs),
      timeout: this.timeout,
    });
    if (res.ok) {
      for (const i of idx) results[i] = true;
      if (shape.verb === 'add') this.state.set(fam, (this.state.get(fam) ?? 0) | STARTED | HAS_BANS);
      return;
    }
    this.logFailure(res, `${shape.program} ${shape.args.join(' ')} < [${idx.length} ${shape.verb} lines]`);
    if (mayRepair && this.tags.option('actioncheck', fam).trim()) {
      const unban = shape.verb === 'del';
      const r = await this.invariantCheck(fam, () => this.mayRepair(unban, fam), !unban);
      if (r !== 1) {
        for (const i of idx)
          this.ticketFailed(unban ? 'unban' : 'ban', ts[i]!, unban ? 'Error unbanning' : 'Error banning');
        return;
      }
      return this.runBatch(shape, fam, idx, ts, results, single, false);
    }
    const mid = idx.length >> 1;
    await this.runBatch(shape, fam, idx.slice(0, mid), ts, results, single, false);
    await this.runBatch(shape, fam, idx.slice(mid), ts, results, single, false);
  }

  /** Large unban from an nft interval set: one atomic flush + re-add of what stays. */
  private async nftRebuild(shape: BatchShape, set: string[], addrs: string[]): Promise<boolean> {
    const list = await this.runner.run({
      file: shape.program,
      args: ['-j', 'list', 'set', ...set],
      timeout: this.timeout,
      maxOutput: 1 << 30,
    });
    if (!list.ok) return false;
    const remove = new Set(addrs.map((a) => canonicalIp(a) ?? a));
    const text = nftRebuild(list.stdout, set, (e) => remove.has(canonicalIp(e) ?? e));
    if (text === null) return false;
    const res = await this.runner.run({
      file: shape.program,
      args: shape.args,
      stdin: text,
      timeout: this.timeout,
    });
    if (!res.ok)
      this.logFailure(res, `${shape.program} ${shape.args.join(' ')} < [rebuild of set ${set.join(' ')}]`);
    return res.ok;
  }

  // ---- helpers ----

  private serial<T>(fn: () => Promise<T>, fallback: T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run.catch((e: unknown) => {
      // last line of defence: an action never throws to the jail
      this.log('error', `Action '${this.name}' of jail '${this.jail.name}' failed: ${errorMessage(e)}`);
      return fallback;
    });
  }

  private opFailed(what: string): void {
    const verb = { start: 'starting', stop: 'stopping', reload: 'reloading' }[what] ?? what;
    this.log(
      'error',
      `Failed to ${what} jail '${this.jail.name}' action '${this.name}': Error ${verb} action Jail('${this.jail.name}')/${this.name}: 'Script error'`,
    );
  }

  private ticketFailed(what: string, t: BanTicket, err: string): void {
    const addr = t.ip ?? t.id;
    const info = actionInfoRepr(t, this.computed.get(t) ?? new Map<string, string>());
    const msg = err.startsWith('Error ') && !err.includes(' action ') ? `${err} ${addr}` : err;
    this.log(
      'error',
      `Failed to execute ${what} jail '${this.jail.name}' action '${this.name}' info '${info}': ${msg}`,
    );
  }
}

export type { LogLevel };
