import { existsSync, renameSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import type { BanTicket } from '../../core/failure.js';
import { LogjailError, errorMessage } from '../../core/errors.js';
import { canonicalIp } from '../../core/ip.js';
import {
  OUTDATED_FACTOR,
  banData,
  mergeBans,
  parseBanData,
  restoreBantime,
  storedBantime,
  storedTime,
  ticketParts,
  type BanStore,
  type CurrentBansOptions,
  type LogPosition,
  type MergedBans,
  type PreviousBan,
} from '../store.js';
import { CREATE_ALL, SCHEMA_VERSION, TABLES } from './schema.js';

export type StoreLogLevel = 'info' | 'warning' | 'error';
export type StoreLog = (level: StoreLogLevel, message: string) => void;

export interface SqliteStoreOptions {
  /** Receives what happened while opening (creation, upgrade, repair). */
  log?: StoreLog;
  /** Time used for backup file names (default: system time). */
  now?: () => Date;
}

/** What `open` had to do to the file. */
export interface OpenReport {
  created: boolean;
  /** Schema version found before an in-place upgrade, null when none was needed. */
  upgradedFrom: number | null;
  /** Where a copy was kept (upgrade) or the broken file was moved (repair). */
  backup: string | null;
  /** Why the file was moved aside, null when it opened fine. */
  repairReason: string | null;
  /** After a repair: whether rows were recovered from the broken file (via `sqlite3 .dump`). */
  recovered: boolean;
}

interface BipRow {
  ip: string;
  timeofban: number;
  bantime: number;
  bancount: number;
  data: unknown;
}

interface PrevRow {
  bancount: number;
  timeofban: number;
  bantime: number;
}

interface LogRow {
  firstlinemd5: string | null;
  lastfilepos: number | null;
}

/** `<file>.<YYYYmmdd-HHMMSS>` in UTC, like fail2ban's backup names. */
export function backupName(file: string, at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-` +
    `${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
  let name = `${file}.${stamp}`;
  for (let i = 1; existsSync(name); i++) name = `${file}.${stamp}.${i}`;
  return name;
}

function tableExists(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?").get(name) !== undefined;
}

function columns(db: Database.Database, table: string): Set<string> {
  const rows = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

/** The fail2ban-compatible SQLite store (schema v4, WAL, prepared statements). */
export class SqliteBanStore implements BanStore {
  readonly file: string;
  readonly openReport: OpenReport;
  private readonly db: Database.Database;
  private readonly st;
  /** Jails still enabled when the store was opened, until their first start (leftRunning). */
  private readonly leftEnabled: Set<string>;
  private readonly addBansTx;
  private readonly setLogsTx;

  static open(file: string, opts: SqliteStoreOptions = {}): SqliteBanStore {
    return new SqliteBanStore(file, opts);
  }

  private constructor(file: string, opts: SqliteStoreOptions) {
    this.file = file;
    const log: StoreLog = opts.log ?? (() => undefined);
    const now = opts.now ?? (() => new Date());
    const report: OpenReport = {
      created: false,
      upgradedFrom: null,
      backup: null,
      repairReason: null,
      recovered: false,
    };
    let db: Database.Database;
    try {
      db = connect(file, report, log, now);
    } catch (err) {
      if (err instanceof LogjailError || file === ':memory:' || !existsSync(file))
        throw wrapOpenError(file, err);
      db = repair(file, errorMessage(err), report, log, now);
    }
    this.db = db;
    this.openReport = report;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // A jail still enabled here was not stopped by the server before (see leftRunning).
    this.leftEnabled = new Set((db.prepare('SELECT name FROM jails WHERE enabled = 1').all() as { name: string }[]).map((r) => r.name));
    // Every jail is disabled until the server adds it again (purge drops disabled jails without bans).
    db.prepare('UPDATE jails SET enabled = 0').run();

    this.st = {
      addJail: db.prepare(
        'INSERT INTO jails(name, enabled) VALUES(?, 1) ON CONFLICT(name) DO UPDATE SET enabled = 1',
      ),
      ensureJail: db.prepare('INSERT OR IGNORE INTO jails(name, enabled) VALUES(?, 1)'),
      disableJail: db.prepare('UPDATE jails SET enabled = 0 WHERE name = ?'),
      insBan: db.prepare(
        'INSERT INTO bans(jail, ip, timeofban, bantime, bancount, data) VALUES(?, ?, ?, ?, ?, ?)',
      ),
      insBip: db.prepare(
        'INSERT OR REPLACE INTO bips(ip, jail, timeofban, bantime, bancount, data) VALUES(?, ?, ?, ?, ?, ?)',
      ),
      delBanJail: db.prepare('DELETE FROM bans WHERE jail = ? AND ip = ?'),
      delBipJail: db.prepare('DELETE FROM bips WHERE jail = ? AND ip = ?'),
      delBanAny: db.prepare('DELETE FROM bans WHERE ip = ?'),
      delBipAny: db.prepare('DELETE FROM bips WHERE ip = ?'),
      delAllBansJail: db.prepare('DELETE FROM bans WHERE jail = ?'),
      delAllBipsJail: db.prepare('DELETE FROM bips WHERE jail = ?'),
      delAllBans: db.prepare('DELETE FROM bans'),
      delAllBips: db.prepare('DELETE FROM bips'),
      current: db.prepare<[string, number], BipRow>(
        'SELECT ip, timeofban, bantime, bancount, data FROM bips WHERE jail = ? AND (timeofban + bantime > ? OR bantime < 0) ' +
          // fail2ban's order: by address text, so a restart bans (and mails) in that order
          'ORDER BY ip',
      ),
      prevJail: db.prepare<[string, string], PrevRow>(
        'SELECT bancount, timeofban, bantime FROM bips WHERE ip = ? AND jail = ?',
      ),
      prevAll: db.prepare<[string], PrevRow>(
        'SELECT bancount, timeofban, bantime FROM bips WHERE ip = ? ORDER BY timeofban DESC, jail',
      ),
      ids: db.prepare<[string], { ip: string }>('SELECT ip FROM bips WHERE jail = ? ORDER BY ip'),
      bansOfJail: db.prepare<[string, string], { data: unknown }>(
        'SELECT data FROM bans WHERE ip = ? AND jail = ? ORDER BY timeofban DESC',
      ),
      bansOfAll: db.prepare<[string], { data: unknown }>('SELECT data FROM bans WHERE ip = ? ORDER BY timeofban DESC'),
      getLog: db.prepare<[string, string], LogRow>(
        'SELECT firstlinemd5, lastfilepos FROM logs WHERE jail = ? AND path = ?',
      ),
      setLog: db.prepare(
        'INSERT INTO logs(jail, path, firstlinemd5, lastfilepos) VALUES(?, ?, ?, ?) ' +
          'ON CONFLICT(jail, path) DO UPDATE SET firstlinemd5 = excluded.firstlinemd5, lastfilepos = excluded.lastfilepos',
      ),
      purgeBans: db.prepare('DELETE FROM bans WHERE timeofban < ?'),
      // bantime -2 (unknown, from an upgraded v2 file) is not permanent and may go
      purgeBips: db.prepare(
        `DELETE FROM bips WHERE timeofban < ? AND (bantime >= 0 OR bantime = -2) AND timeofban + bantime * ${OUTDATED_FACTOR} < ?`,
      ),
      purgeJails: db.prepare(
        'DELETE FROM jails WHERE enabled = 0 AND NOT EXISTS(SELECT * FROM bans WHERE jail = jails.name) ' +
          'AND NOT EXISTS(SELECT * FROM bips WHERE jail = jails.name)',
      ),
    };
    this.addBansTx = db.transaction((ts: BanTicket[], max: number) => {
      for (const t of ts) this.insertBan(t, max);
    });
    this.setLogsTx = db.transaction((entries: { jail: string; path: string; pos: LogPosition }[]) => {
      for (const e of entries) this.writeLog(e.jail, e.path, e.pos);
    });
  }

  addJail(name: string): void {
    this.st.addJail.run(name);
  }

  disableJail(name: string): void {
    this.st.disableJail.run(name);
  }

  leftRunning(name: string): boolean {
    return this.leftEnabled.delete(name);
  }

  addBan(t: BanTicket, dbmaxmatches: number): void {
    this.addBansTx([t], dbmaxmatches);
  }

  addBans(ts: BanTicket[], dbmaxmatches: number): void {
    if (ts.length > 0) this.addBansTx(ts, dbmaxmatches);
  }

  private insertBan(t: BanTicket, max: number): void {
    this.st.ensureJail.run(t.jail);
    const args = [
      storedTime(t.time),
      storedBantime(t.bantime),
      t.banCount + 1,
      JSON.stringify(banData(t, max)),
    ] as const;
    this.st.insBan.run(t.jail, t.id, ...args);
    this.st.insBip.run(t.id, t.jail, ...args);
  }

  removeBan(jail: string | null, id: string): void {
    this.db.transaction(() => {
      if (jail === null) {
        this.st.delBanAny.run(id);
        this.st.delBipAny.run(id);
      } else {
        this.st.delBanJail.run(jail, id);
        this.st.delBipJail.run(jail, id);
      }
    })();
  }

  removeAllBans(jail: string | null): void {
    this.db.transaction(() => {
      if (jail === null) {
        this.st.delAllBans.run();
        this.st.delAllBips.run();
      } else {
        this.st.delAllBansJail.run(jail);
        this.st.delAllBipsJail.run(jail);
      }
    })();
  }

  currentBans(jail: string, now: number, opts?: CurrentBansOptions): BanTicket[] {
    const out: BanTicket[] = [];
    for (const r of this.st.current.iterate(jail, now)) {
      if (!r.ip) continue; // fail2ban skips empty ids too
      const bantime = restoreBantime(r.timeofban, r.bantime, now, opts);
      if (bantime === null) continue;
      out.push({
        jail,
        id: r.ip,
        ip: canonicalIp(r.ip),
        time: r.timeofban,
        bantime,
        banCount: Math.max(0, r.bancount - 1),
        ...ticketParts(parseBanData(r.data)),
        restored: true,
      });
    }
    return out;
  }

  mergedBans(id: string, jail: string | null, dbmaxmatches: number): MergedBans | null {
    const rows = jail === null ? this.st.bansOfAll.all(id) : this.st.bansOfJail.all(id, jail);
    return mergeBans(
      rows.map((r) => parseBanData(r.data)),
      dbmaxmatches,
    );
  }

  previousBan(id: string, jail: string | null): PreviousBan | null {
    if (jail !== null) {
      const r = this.st.prevJail.get(id, jail);
      return r ? { banCount: r.bancount, time: r.timeofban, bantime: r.bantime } : null;
    }
    const rows = this.st.prevAll.all(id);
    const last = rows[0];
    if (!last) return null;
    return {
      banCount: rows.reduce((n, r) => n + r.bancount, 0),
      time: last.timeofban,
      bantime: last.bantime,
    };
  }

  bannedIds(jail: string): string[] {
    return this.st.ids.all(jail).map((r) => r.ip);
  }

  getLogPosition(jail: string, path: string): LogPosition | null {
    const r = this.st.getLog.get(jail, path);
    return r ? { firstLineMd5: r.firstlinemd5 ?? '', pos: r.lastfilepos ?? 0 } : null;
  }

  setLogPosition(jail: string, path: string, pos: LogPosition): void {
    this.setLogsTx([{ jail, path, pos }]);
  }

  setLogPositions(entries: { jail: string; path: string; pos: LogPosition }[]): void {
    if (entries.length > 0) this.setLogsTx(entries);
  }

  private writeLog(jail: string, path: string, pos: LogPosition): void {
    this.st.ensureJail.run(jail);
    this.st.setLog.run(jail, path, pos.firstLineMd5 === '' ? null : pos.firstLineMd5, Math.trunc(pos.pos));
  }

  purge(now: number, purgeAge: number): void {
    const cutoff = Math.floor(now) - purgeAge;
    this.db.transaction(() => {
      this.st.purgeBans.run(now - purgeAge);
      this.st.purgeBips.run(cutoff, cutoff);
      this.st.purgeJails.run();
    })();
  }

  /** Jail names with their enabled flag (for tests and diagnostics). */
  jailStates(): Map<string, boolean> {
    const rows = this.db.prepare('SELECT name, enabled FROM jails').all() as {
      name: string;
      enabled: number;
    }[];
    return new Map(rows.map((r) => [r.name, r.enabled !== 0]));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function wrapOpenError(file: string, err: unknown): LogjailError {
  if (err instanceof LogjailError) return err;
  return new LogjailError('E_STORE', `cannot open database: ${errorMessage(err)}`, { file });
}

/** Open and bring the schema to v4; throws on a file SQLite cannot read (the caller repairs). */
function connect(file: string, report: OpenReport, log: StoreLog, now: () => Date): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('temp_store = MEMORY');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
    let version: number | undefined;
    if (tableExists(db, 'fail2banDb')) {
      const row = db.prepare('SELECT version FROM fail2banDb LIMIT 1').get() as
        { version: unknown } | undefined;
      version = typeof row?.version === 'number' ? row.version : undefined;
    }
    if (version === undefined) {
      db.exec(CREATE_ALL);
      db.prepare('INSERT INTO fail2banDb(version) SELECT ? WHERE NOT EXISTS (SELECT * FROM fail2banDb)').run(
        SCHEMA_VERSION,
      );
      report.created = true;
      log('warning', `New database created. Version '${SCHEMA_VERSION}'`);
    } else if (version > SCHEMA_VERSION) {
      throw new LogjailError(
        'E_STORE',
        `database schema version ${version} is newer than the supported ${SCHEMA_VERSION}`,
        { file },
      );
    } else if (version < SCHEMA_VERSION) {
      upgrade(db, file, version, report, log, now);
    } else {
      db.exec(CREATE_ALL); // restore any index someone dropped
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** In-place upgrade from schema 1..3 after keeping a copy (fail2ban's updateDb, column-driven). */
function upgrade(
  db: Database.Database,
  file: string,
  from: number,
  report: OpenReport,
  log: StoreLog,
  now: () => Date,
): void {
  if (file !== ':memory:') {
    const copy = backupName(file, now());
    db.prepare('VACUUM INTO ?').run(copy);
    report.backup = copy;
    log('info', `Upgrade database: ${copy} from version '${from}'`);
  }
  db.pragma('foreign_keys = OFF'); // tables are rebuilt below; cannot change inside a transaction
  db.transaction(() => {
    if (from < 2 && tableExists(db, 'logs')) {
      // v1 logs lacked UNIQUE(jail, path, firstlinemd5): rebuild
      db.exec('ALTER TABLE logs RENAME TO logs_v1;');
      db.exec(TABLES.logs);
      const have = columns(db, 'logs_v1');
      const cols = ['jail', 'path', 'firstlinemd5', 'lastfilepos'].filter((c) => have.has(c)).join(', ');
      db.exec(`INSERT OR IGNORE INTO logs(${cols}) SELECT ${cols} FROM logs_v1; DROP TABLE logs_v1;`);
    }
    if (tableExists(db, 'bans')) {
      const have = columns(db, 'bans');
      if (!have.has('bantime') || !have.has('bancount')) {
        // bantime unknown before v3: -2, resolved at restore time (see restoreBantime)
        db.exec('ALTER TABLE bans RENAME TO bans_v2;');
        db.exec(
          'DROP INDEX IF EXISTS bans_jail_timeofban_ip; DROP INDEX IF EXISTS bans_jail_ip; DROP INDEX IF EXISTS bans_ip;',
        );
        db.exec(TABLES.bans);
        const bt = have.has('bantime') ? 'bantime' : '-2';
        const bc = have.has('bancount') ? 'bancount' : '1';
        const data = have.has('data') ? 'data' : 'NULL';
        db.exec(
          `INSERT INTO bans(jail, ip, timeofban, bantime, bancount, data) SELECT jail, ip, timeofban, ${bt}, ${bc}, ${data} FROM bans_v2;` +
            'DROP TABLE bans_v2;',
        );
      }
    }
    if (!tableExists(db, 'bips')) {
      db.exec(TABLES.bips);
      if (tableExists(db, 'bans')) {
        db.exec(
          'INSERT OR REPLACE INTO bips(ip, jail, timeofban, bantime, bancount, data) ' +
            'SELECT ip, jail, timeofban, bantime, bancount, data FROM bans WHERE ip IS NOT NULL ORDER BY timeofban',
        );
      }
    }
    db.exec(CREATE_ALL);
    db.prepare('UPDATE fail2banDb SET version = ?').run(SCHEMA_VERSION);
  })();
  db.pragma('foreign_keys = ON');
  report.upgradedFrom = from;
  log('warning', `Database updated from '${from}' to '${SCHEMA_VERSION}'`);
}

/** Move a broken file aside, try to re-import its dump (as fail2ban does), else start empty. */
function repair(
  file: string,
  reason: string,
  report: OpenReport,
  log: StoreLog,
  now: () => Date,
): Database.Database {
  log('error', `Error opening fail2ban persistent database '${file}': ${reason}`);
  const backup = backupName(file, now());
  renameSync(file, backup);
  for (const side of ['-wal', '-shm', '-journal']) {
    if (existsSync(file + side)) renameSync(file + side, backup + side);
  }
  report.backup = backup;
  report.repairReason = reason;
  log('info', `  Database backup created: ${backup}`);

  const dump = spawnSync('sqlite3', [backup, '.dump'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (dump.status === 0 && !dump.error && dump.stdout.includes('CREATE TABLE')) {
    // sqlite3 ends a dump that hit unreadable pages with ROLLBACK; keep the rows it could read
    const sql = dump.stdout.replace(/ROLLBACK; -- due to errors\s*$/, 'COMMIT;');
    try {
      const db = new Database(file);
      try {
        db.exec(sql);
      } finally {
        if (db.inTransaction) db.exec('ROLLBACK');
        db.close();
      }
      const reopened = connect(file, report, log, now);
      const n = reopened
        .prepare('SELECT (SELECT count(*) FROM bips) + (SELECT count(*) FROM logs) AS n')
        .get() as { n: number };
      report.recovered = n.n > 0;
      report.created = false;
      log(
        'info',
        `  Repair ${report.recovered ? 'seems to be successful' : 'recovered nothing'}, re-imported from ${backup}`,
      );
      return reopened;
    } catch (err) {
      log('error', `  Error repairing of fail2ban database '${file}': ${errorMessage(err)}`);
      for (const side of ['', '-wal', '-shm', '-journal']) rmSync(file + side, { force: true });
    }
  }
  report.created = false;
  return connect(file, report, log, now);
}
