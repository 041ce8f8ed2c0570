import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readConfig, stubJail } from '../config/index.js';
import { BACKENDS, unknownBackendText } from '../config/jail-reader.js';
import type { FullConfig, JailDef } from '../config/types.js';
import type { ReloadOptions, ServerApi } from '../control/api.js';
import type { AllStatus } from '../control/beautify.js';
import { execute } from '../control/commands.js';
import { badValue, duplicateJail, exceptionRepr, unknownJail } from '../control/errors.js';
import { pyRepr } from '../control/pyrepr.js';
import { socketAlive, startSocketServer, type ControlSocket } from '../control/socket-server.js';
import { systemClock, type Clock } from '../core/clock.js';
import { errorMessage, LogjailError } from '../core/errors.js';
import { canonicalId } from '../core/ip.js';
import { enableLinearFallback } from '../filter/translate/index.js';
import { MemorySettle } from './memory-settle.js';
import { createLogger, type Logger } from '../observe/logger.js';
import { Metrics } from '../observe/metrics.js';
import { SqliteBanStore } from '../store/sqlite/sqlite-store.js';
import type { BanStore } from '../store/store.js';
import { parseTime } from '../config/timespec.js';
import { parseSpec } from '../config/params.js';
import { JailRuntime } from './jail-runtime.js';
import { commandInt } from './jail-edit.js';

/**
 * The daemon: reads the config, runs one JailRuntime per enabled jail, owns the store, the
 * server log and the control socket, and answers fail2ban's command vocabulary.
 */
export interface ServerOptions {
  confdir: string;
  socket?: string;
  pidfile?: string;
  force?: boolean;
  logtarget?: string;
  loglevel?: string;
  /** Overrides fail2ban.conf's dbfile ("None" disables the store). */
  dbfile?: string;
  clock?: Clock;
  /** Called once the server has fully stopped (the CLI exits then). */
  onStopped?: () => void;
}

export const COMPAT_VERSION = '1.0.2';

/** A jail made by `add`: fail2ban's server-side defaults (maxretry 3 there), no filter, logs or actions yet. */
function emptyJail(name: string, backend: string, backendOptions: Record<string, string>): JailDef {
  const stub = stubJail(name, { file: '<command>', line: 0 });
  return { ...stub, enabled: true, backend, backendOptions, maxretry: 3, maxmatches: 5, findtime: 600, bantime: 600 };
}
const PURGE_INTERVAL_MS = 3600_000;

export class Server implements ServerApi {
  private config!: FullConfig;
  private readonly jails = new Map<string, JailRuntime>();
  private store: BanStore | null = null;
  private logger!: Logger;
  private socket: ControlSocket | null = null;
  private readonly clock: Clock;
  private readonly metrics = new Metrics();
  private stopping: Promise<void> | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  private positionsTimer: NodeJS.Timeout | null = null;
  private readonly memory = new MemorySettle();
  private dbmaxmatches = 10;
  private dbpurgeage = 86400;
  socketPath = '';
  pidPath = '';
  /** Only what this server created is removed at shutdown: a start that fails because another
   *  server runs must not delete that server's socket and pid file. */
  private ownsPidfile = false;

  constructor(private readonly opts: ServerOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Read the config (nothing starts if it is broken), then open everything and start the jails. */
  async start(): Promise<void> {
    enableLinearFallback();
    this.memory.start();
    this.config = readConfig(this.opts.confdir);
    const s = this.config.server;
    this.logger = createLogger({
      target: this.opts.logtarget ?? s.logtarget,
      level: this.opts.loglevel ?? s.loglevel,
      clock: this.clock,
      syslogSocket: s.syslogsocket,
    });
    const log = this.logger.child('server');
    log.info('-'.repeat(50));
    log.info(`Starting logjail (fail2ban ${COMPAT_VERSION} compatible)`);
    this.socketPath = this.opts.socket ?? s.socket;
    this.pidPath = this.opts.pidfile ?? s.pidfile;
    this.dbmaxmatches = s.dbmaxmatches;
    this.dbpurgeage = s.dbpurgeage;
    // Before touching the store: a second server must leave a running one's database alone.
    if (existsSync(this.socketPath) && (await socketAlive(this.socketPath)))
      throw new LogjailError('E_SOCKET', `Server already running on socket ${this.socketPath}`);
    // fail2ban's daemon and observer are up before its client sends the database and the jails
    log.info('Daemon started');
    this.logger.child('observer').info('Observer start...');
    const dbfile = this.opts.dbfile ?? s.dbfile;
    if (dbfile !== null && dbfile !== 'None' && dbfile !== '') {
      mkdirSync(dirname(dbfile), { recursive: true });
      const dblog = this.logger.child('database');
      // fail2ban connects first, then finds the file new, old or broken: "Connected" comes first
      const said: [string, string][] = [];
      try {
        this.store = SqliteBanStore.open(dbfile, {
          log: (level, msg) => {
            said.push([level.toUpperCase(), msg]);
          },
        });
        dblog.info(`Connected to fail2ban persistent database '${dbfile}'`);
      } finally {
        for (const [level, msg] of said) dblog.log(level, msg);
      }
    }
    // Every enabled jail is built (regexes, date patterns, actions) before the socket opens: a
    // config its jails cannot use fails the start here, before `client start` sees a live socket
    // and reports "Server ready" for a server about to exit.
    const built = this.config.jails.filter((j) => j.enabled).map((def) => this.buildRuntime(def));
    this.socket = await startSocketServer({
      path: this.socketPath,
      force: this.opts.force ?? false,
      handler: (cmd) => this.command(cmd),
      beforeListen: () => {
        this.writePidfile();
      },
      log: (level, msg) => {
        this.logger.child('server').log(level, msg);
      },
    });
    // as fail2ban's config stream: every jail is set up first, then each is started
    for (const rt of built) await this.setUp(rt);
    for (const rt of built) await this.startRuntime(rt);
    this.purgeTimer = setInterval(() => {
      this.purge();
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
    this.positionsTimer = setInterval(() => {
      for (const j of this.jails.values()) j.flushPositions();
    }, 10_000);
    this.positionsTimer.unref();
    // no purge now: fail2ban's first is an hour after the start, so a restart keeps the history
    // that <ipmatches>, <ipfailures> and bantime.increment read
  }

  /** One command from the socket; a failure is logged as fail2ban's transmitter logs it. */
  private async command(cmd: string[]): Promise<unknown> {
    try {
      return await execute(this, cmd);
    } catch (e) {
      this.logger.child('transmitter').error(`Command ${pyRepr(cmd)} has failed. Received ${exceptionRepr(e)}`);
      throw e;
    }
  }

  private purge(): void {
    try {
      this.store?.purge(this.clock.now(), this.dbpurgeage);
    } catch (e) {
      this.logger.child('database').error(`purge failed: ${errorMessage(e)}`);
    }
  }

  private writePidfile(): void {
    mkdirSync(dirname(this.pidPath), { recursive: true });
    writeFileSync(this.pidPath, `${process.pid}\n`);
    this.ownsPidfile = true;
  }

  /** A new jail, set up as the config says ("Creating new jail", its settings, its logs). */
  private async setUp(rt: JailRuntime): Promise<JailRuntime> {
    this.registerJail(rt);
    rt.announce(null, { hasDatabase: this.store !== null });
    try {
      await rt.open();
    } catch (e) {
      // as a start that fails: logged, the other jails and the server go on
      this.logger.child('jail').error(`Jail '${rt.name}' could not open its logs: ${errorMessage(e)}`);
    }
    return rt;
  }

  private createJail(def: JailDef): JailRuntime {
    return this.registerJail(this.buildRuntime(def));
  }

  private buildRuntime(def: JailDef): JailRuntime {
    return new JailRuntime(def, {
      store: this.store,
      logger: this.logger,
      clock: this.clock,
      dbmaxmatches: () => this.dbmaxmatches,
      metrics: this.metrics,
    });
  }

  private registerJail(rt: JailRuntime): JailRuntime {
    const log = this.logger.child('jail');
    if (rt.name.length >= 26)
      log.warning(
        `Jail name '${rt.name}' might be too long and some commands might not function correctly. Please shorten`,
      );
    log.info(`Creating new jail '${rt.name}'`);
    this.jails.set(rt.name, rt);
    return rt;
  }

  private async startRuntime(rt: JailRuntime): Promise<void> {
    try {
      await rt.start();
    } catch (e) {
      this.logger.child('jail').error(`Jail '${rt.name}' could not start: ${errorMessage(e)}`);
    }
  }

  /** `add <JAIL> [BACKEND]`: an empty jail, configured by `set` and run by `start <JAIL>`. */
  addJailByCommand(name: string, backend: string): string {
    if (this.jails.has(name)) throw duplicateJail(name);
    let spec;
    try {
      spec = parseSpec(backend);
    } catch (e) {
      throw badValue(errorMessage(e));
    }
    if (!BACKENDS.includes(spec.name))
      throw badValue(unknownBackendText(spec.name));
    this.createJail(emptyJail(name, spec.name, spec.params));
    return name;
  }

  // ---- ServerApi --------------------------------------------------------------------

  version(): string {
    return COMPAT_VERSION;
  }

  jailNames(): string[] {
    return [...this.jails.keys()].sort();
  }

  jailsInOrder(): string[] {
    return [...this.jails.keys()];
  }

  jail(name: string): JailRuntime | undefined {
    return this.jails.get(name);
  }

  statusAll(flavor: string): AllStatus {
    const names = this.jailNames();
    return {
      server: [
        ['Number of jail', names.length],
        ['Jail list', names.join(', ')],
      ],
      jails: names.map((n) => [n, this.jails.get(n)!.status(flavor)]),
    };
  }

  scheduleShutdown(): void {
    setTimeout(() => void this.shutdown(), 20);
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.doShutdown();
    return this.stopping;
  }

  private async doShutdown(): Promise<void> {
    const log = this.logger.child('server');
    log.info('Shutdown in progress...');
    const observer = this.logger.child('observer');
    observer.info('Observer stop ... try to end queue 5 seconds');
    observer.info('Observer stopped, 0 events remaining.');
    log.info('Stopping all jails');
    // fail2ban first stops every jail's reading, then each jail's actions
    const jails = [...this.jails.values()];
    for (const j of jails) {
      try {
        j.flushPositions();
        await j.stopReading();
      } catch (e) {
        log.error(`stopping jail ${j.name}: ${errorMessage(e)}`);
      }
    }
    for (const j of jails) {
      try {
        await j.stop();
      } catch (e) {
        log.error(`stopping jail ${j.name}: ${errorMessage(e)}`);
      }
    }
    this.jails.clear();
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    if (this.positionsTimer) clearInterval(this.positionsTimer);
    this.memory.stop();
    if (this.store) {
      this.store.close();
      this.logger.child('database').info('Connection to database closed.');
    }
    await this.socket?.close();
    const mine = [this.socket ? this.socketPath : null, this.ownsPidfile ? this.pidPath : null];
    for (const p of mine) {
      if (p === null) continue;
      try {
        if (existsSync(p)) unlinkSync(p);
      } catch {
        /* already gone */
      }
    }
    log.info('Exiting Fail2ban');
    this.logger.close();
    this.opts.onStopped?.();
  }

  /** Starts a jail the server holds (e.g. one made by `add`). One ended by `stop <jail>` is
   *  gone, as in fail2ban 1.0.2: `reload` brings it back. */
  async startJail(name: string): Promise<void> {
    const rt = this.jails.get(name);
    if (!rt) throw unknownJail(name);
    if (!rt.started) await this.startRuntime(rt);
  }

  async stopJail(name: string): Promise<void> {
    const j = this.jails.get(name);
    if (!j) throw unknownJail(name);
    j.flushPositions();
    await j.stop();
    this.jails.delete(name);
  }

  /**
   * Re-read the config. A broken config is reported and changes nothing: the running jails
   * and their bans stay exactly as they were.
   */
  async reload(o: ReloadOptions): Promise<void> {
    let next: FullConfig;
    try {
      next = readConfig(this.opts.confdir);
    } catch (e) {
      this.logger
        .child('server')
        .error(`Reload failed, keeping the running configuration: ${errorMessage(e)}`);
      throw badValue(errorMessage(e));
    }
    const enabled = next.jails.filter((j) => j.enabled);
    const log = this.logger.child('server');
    // fail2ban brackets a reload with these lines, also one that fails (an unknown jail)
    log.info(o.jail === null ? 'Reload all jails' : `Reload jail ${o.jail}`);
    try {
      await this.reloadJails(next, enabled, o);
    } finally {
      log.info('Reload finished.');
    }
  }

  private async reloadJails(next: FullConfig, enabled: JailDef[], o: ReloadOptions): Promise<void> {
    let defs = enabled;
    if (o.jail !== null) {
      const def = enabled.find((j) => j.name === o.jail);
      // a jail the server does not have (never started, or stopped) is reloaded only --if-exists
      if (!def || (!this.jails.has(def.name) && !o.ifExists)) {
        if (o.ifExists) return;
        throw unknownJail(o.jail);
      }
      this.config = { ...this.config, jails: this.config.jails.map((j) => (j.name === def.name ? def : j)) };
      defs = [def];
    } else {
      this.config = next;
      this.dbmaxmatches = next.server.dbmaxmatches;
      this.dbpurgeage = next.server.dbpurgeage;
    }
    // fail2ban's order: unban first, then each jail, then the jails no longer configured
    if (o.unban) for (const d of defs) await this.jails.get(d.name)?.unbanEverything();
    // as fail2ban's reload stream: every jail is reloaded or set up, then each is announced
    // reloaded or started, in the config's order
    const steps: (() => Promise<void>)[] = [];
    for (const def of defs) steps.push(await this.reloadJail(def, o));
    for (const step of steps) await step();
    if (o.jail !== null) return;
    for (const name of this.jailNames()) {
      if (!enabled.some((j) => j.name === name)) await this.stopJail(name);
    }
  }

  /** Reloads (or sets up) one jail; returns its second step: "reloaded", or its start. */
  private async reloadJail(def: JailDef, o: ReloadOptions): Promise<() => Promise<void>> {
    const cur = this.jails.get(def.name);
    if (cur && !o.restart) {
      this.logger.child('server').info(`Reload jail ${pyRepr(def.name)}`);
      await cur.reconfigure(def);
      return () => {
        this.logger.child('server').info(`Jail ${pyRepr(def.name)} reloaded`);
        return Promise.resolve();
      };
    }
    if (cur) await this.stopJail(def.name);
    const rt = await this.setUp(this.buildRuntime(def));
    return () => this.startRuntime(rt);
  }

  async unban(ids: string[] | 'all'): Promise<number> {
    let n = 0;
    for (const j of this.jails.values())
      n += ids === 'all' ? await j.unbanEverything() : await j.unbanIds(ids, false);
    // also rows of ids no jail holds now (fail2ban deletes those too), by the id the jails would use
    if (ids !== 'all') for (const id of ids) this.store?.removeBan(null, canonicalId(id));
    else this.store?.removeAllBans(null);
    return n;
  }

  flushLogs(): string {
    return this.logger.reopen();
  }

  getServer(key: string): unknown {
    const s = this.config.server;
    switch (key) {
      case 'loglevel':
        return this.logger.getLevel();
      case 'logtarget':
        return this.logger.getTarget();
      case 'syslogsocket':
        return this.logger.getSyslogSocket();
      case 'dbfile':
        return this.store ? (this.opts.dbfile ?? s.dbfile) : null;
      case 'dbmaxmatches':
        return this.store ? this.dbmaxmatches : null;
      case 'dbpurgeage':
        return this.store ? this.dbpurgeage : null;
      case 'allowipv6':
        return s.allowipv6;
    }
    throw badValue(`unknown server option ${key}`);
  }

  setServer(key: string, value: string): unknown {
    try {
      switch (key) {
        case 'loglevel':
          this.logger.setLevel(value);
          return this.logger.getLevel();
        case 'logtarget':
          if (!this.logger.setTarget(value)) throw new Error(`Failed to change log target to ${value}`);
          return this.logger.getTarget();
        case 'syslogsocket':
          if (!this.logger.setSyslogSocket(value)) throw new Error('Failed to change syslog socket');
          return this.logger.getSyslogSocket();
        case 'dbmaxmatches':
          // without a store fail2ban ignores the value (unchecked) and answers None
          if (!this.store) return null;
          this.dbmaxmatches = commandInt(value);
          return this.dbmaxmatches;
        case 'dbpurgeage':
          this.dbpurgeage = parseTime(value, 'dbpurgeage');
          return this.dbpurgeage;
      }
    } catch (e) {
      throw badValue(errorMessage(e));
    }
    if (key === 'dbfile' && this.jails.size > 0) throw badValue('Cannot change database when there are jails present');
    throw badValue(`cannot change ${key} on a running server`);
  }

  // ---- signals ------------------------------------------------------------------------

  /** SIGHUP: reload; errors are logged and nothing changes. */
  async reloadFromSignal(): Promise<void> {
    try {
      await this.reload({ jail: null, restart: false, unban: false, all: false, ifExists: false });
      this.logger.child('server').info('Reloaded configuration (SIGHUP)');
    } catch {
      /* already logged */
    }
  }

  reopenLogs(): void {
    this.logger.reopen();
  }

  /** For tests: read back what the pidfile holds. */
  pidfileContent(): string {
    return readFileSync(this.pidPath, 'utf8');
  }
}
