import { stat, watch, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { LogPathDef } from '../../config/types.js';
import { errorMessage } from '../../core/errors.js';
import type { LogLine } from '../../core/failure.js';
import {
  silentLogger,
  type LogSource,
  type OnLines,
  type PositionStore,
  type SourceLogger,
} from '../source.js';
import { resolveEncoding, type LineEncoding } from './encoding.js';
import { FileCursor, fstatFd, type CursorLimits } from './file-cursor.js';
import { expandGlob, hasMagic } from './glob.js';
import { seekByTime, type DateOf } from './time-seek.js';

export type FileBackend = 'auto' | 'pyinotify' | 'polling';

export interface FileSourceOptions {
  /** The jail's logpath lines: glob + start position. */
  patterns: LogPathDef[];
  backend: FileBackend;
  /** `logencoding`; `auto` = UTF-8. */
  encoding: string;
  /** The store's log positions for this jail. */
  positions?: PositionStore;
  /** Stat-poll interval: the only wake-up for `polling` (default 250), a safety net otherwise (default 1000). */
  pollIntervalMs?: number;
  log?: SourceLogger;
  /**
   * Bytes per read (default 128 KiB). Small enough that a chunk's lines and results die in V8's
   * young generation: 1 MiB chunks got promoted and raised a 1M-line catch-up's peak RSS by ~120 MB.
   */
  chunkSize?: number;
  /** Longest line kept, in bytes (default 64 KiB); longer lines are truncated. */
  maxLineBytes?: number;
  /** How long a renamed-away file is still read for late writes (default 2000 ms). */
  retireMs?: number;
  /**
   * `head` files read from their beginning start at the first line dated `since()` or later
   * (fail2ban: now - findtime), found by binary search; without it they are read from 0.
   */
  headStart?: { since: () => number; dateOf: DateOf };
  /** Which opened files to log as added (default: all; a rebuilt source keeps the old ones quietly). */
  announce?: (path: string) => boolean;
}

/** At most this many chunks per file per turn, so one huge backlog does not starve the other files. */
const CHUNKS_PER_TURN = 16;
const POSITION_FLUSH_MS = 1000;

/** One logpath being followed; `current` is the open inode, `retired` the renamed-away ones. */
class TrackedFile {
  current: FileCursor | null = null;
  retired: FileCursor[] = [];
  caughtUp = false;
  wake = false;
  posDirty = false;
  watcher: FSWatcher | null = null;
  warnedNotFile = false;
  readonly dir: string;
  readonly base: string;

  constructor(
    readonly path: string,
    readonly position: 'head' | 'tail',
  ) {
    this.dir = dirname(path);
    this.base = basename(path);
  }
}

// Read buffers are pooled across sources: only sources reading at the same moment need one each.
const bufferPool: Buffer[] = [];
function acquireBuffer(size: number): Buffer {
  const i = bufferPool.findIndex((b) => b.length === size);
  return i >= 0 ? bufferPool.splice(i, 1)[0]! : Buffer.allocUnsafeSlow(size);
}
function releaseBuffer(b: Buffer): void {
  if (bufferPool.length < 4) bufferPool.push(b);
}

function statPath(path: string): Promise<Stats | null> {
  return new Promise((resolve) => {
    stat(path, (err, st) => {
      resolve(err ? null : st);
    });
  });
}

/**
 * Follows the files of one jail's logpath set. Wakes on fs.watch events of each file's
 * directory (create/rename/modify) and of the file itself, with a stat poll as safety net;
 * on each wake it checks for rotation, then reads new complete lines in big chunks.
 */
export class FileSource implements LogSource {
  private readonly tracked: TrackedFile[] = [];
  private readonly dirWatchers = new Map<string, { watcher: FSWatcher; ino: number }>();
  private readonly enc: LineEncoding;
  private readonly limits: CursorLimits;
  private readonly log: SourceLogger;
  private readonly retireMs: number;
  private pollMs: number;
  private pollTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private kickPending = false;
  private opened = false;
  private started = false;
  private stopped = false;
  private watchFailed = false;

  constructor(
    private readonly opts: FileSourceOptions,
    private readonly onLines: OnLines,
  ) {
    this.enc = resolveEncoding(opts.encoding);
    this.limits = { chunkSize: opts.chunkSize ?? 1 << 17, maxLineBytes: opts.maxLineBytes ?? 64 << 10 };
    this.log = opts.log ?? silentLogger;
    this.retireMs = opts.retireMs ?? 2000;
    this.pollMs = opts.pollIntervalMs ?? (opts.backend === 'polling' ? 250 : 1000);
  }

  files(): string[] {
    return this.tracked.map((t) => t.path);
  }

  async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    const seen = new Set<string>();
    const add = (path: string, position: 'head' | 'tail'): void => {
      if (seen.has(path)) return;
      seen.add(path);
      this.tracked.push(new TrackedFile(path, position));
    };
    for (const { pattern, position } of this.opts.patterns) {
      const { files, dangling } = await expandGlob(pattern);
      if (hasMagic(pattern)) {
        for (const d of dangling)
          this.log('warning', `File ${d} is a dangling link, thus cannot be monitored`);
        if (files.length === 0) this.log('warning', `Have not found any log file for ${pattern}`);
        for (const f of files) add(f, position);
      } else {
        // fail2ban refuses to start on a missing literal logpath; we follow it until it appears.
        if (dangling.length > 0)
          this.log('warning', `File ${pattern} is a dangling link; waiting for its target to appear`);
        else if (files.length === 0)
          this.log('warning', `Log file ${pattern} does not exist yet; waiting for it to appear`);
        add(pattern, position);
      }
    }
    for (const t of this.tracked) await this.openInitial(t);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.open();
    if (this.opts.backend !== 'polling') {
      for (const t of this.tracked) this.watchDir(t.dir);
    }
    this.startPollTimer();
    this.flushTimer = setInterval(() => {
      this.flushPositions();
    }, POSITION_FLUSH_MS);
    this.flushTimer.unref();
    for (const t of this.tracked) t.wake = true;
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    for (const { watcher } of this.dirWatchers.values()) watcher.close();
    this.dirWatchers.clear();
    for (const t of this.tracked) t.watcher?.close();
    if (this.pumping) await this.pumping;
    this.flushPositions();
    const buf = acquireBuffer(this.bufferSize());
    try {
      for (const t of this.tracked) {
        for (const r of t.retired) await this.closeRetired(t, r, buf);
        t.retired = [];
        await t.current?.close();
        t.current = null;
      }
    } finally {
      releaseBuffer(buf);
    }
  }

  flushPositions(): void {
    const store = this.opts.positions;
    if (!store) return;
    for (const t of this.tracked) {
      const c = t.current;
      if (!t.posDirty || !c) continue;
      t.posDirty = false;
      try {
        store.set(t.path, { firstLineMd5: c.md5, pos: c.pos });
      } catch (err) {
        this.log('error', `Cannot save the position of ${t.path}: ${errorMessage(err)}`);
      }
    }
  }

  /** A method, not the field: the flag flips during awaits, which narrowing cannot see. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private bufferSize(): number {
    return this.limits.chunkSize + this.limits.maxLineBytes + 4;
  }

  private async openCursor(path: string): Promise<{ cursor: FileCursor; size: number } | null> {
    try {
      const r = await FileCursor.open(path, this.enc, this.limits);
      r.cursor.lastSize = r.size;
      return r;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        this.log('error', `Cannot open ${path}: ${errorMessage(err)}`);
      return null;
    }
  }

  private async openInitial(t: TrackedFile): Promise<void> {
    const r = await this.openCursor(t.path);
    if (!r) return;
    t.current = r.cursor;
    if (t.position === 'tail') {
      await r.cursor.seekEnd(r.size);
      t.caughtUp = true;
      t.posDirty = true;
    } else {
      this.applySavedPosition(t, r.cursor, r.size);
      this.applyHeadStart(t, r.cursor, r.size);
    }
    if (this.opts.announce?.(t.path) ?? true)
      this.log('info', `Added logfile: '${t.path}' (pos = ${r.cursor.pos}, hash = ${r.cursor.md5})`);
    this.watchFile(t);
  }

  private applyHeadStart(t: TrackedFile, c: FileCursor, size: number): void {
    const hs = this.opts.headStart;
    if (!hs || c.pos !== 0 || size === 0 || c.enc.unit !== 1) return;
    const pos = seekByTime(c.fd, size, hs.since(), hs.dateOf, (b, s, e) => c.enc.decode(b, s, e));
    if (pos === 0) return;
    c.seek(pos);
    t.posDirty = true;
    this.log('debug', `Skipped ${String(pos)} bytes of ${t.path} older than findtime`);
  }

  /** Resume where the store says if the file still starts with the same line, else from 0. */
  private applySavedPosition(t: TrackedFile, c: FileCursor, size: number): void {
    const saved = this.opts.positions?.get(t.path) ?? null;
    if (saved && saved.pos > 0) {
      if (c.sameHash(saved.firstLineMd5) && saved.pos <= size) {
        c.seek(saved.pos);
        return;
      }
      this.log('info', `Log rotation detected for ${t.path}`);
      t.posDirty = true;
    }
    c.seek(0);
  }

  private kick(): void {
    // an opened source reads nothing until started (the jail may not run yet)
    if (!this.started || this.stopped || this.kickPending) return;
    this.kickPending = true;
    setImmediate(() => {
      this.kickPending = false;
      if (this.pumping || this.stopped) return;
      this.pumping = this.pump().finally(() => {
        this.pumping = null;
        if (this.tracked.some((t) => t.wake)) this.kick();
      });
    });
  }

  /** Serves woken files round-robin until none is left; all reads of a source go through here. */
  private async pump(): Promise<void> {
    const buf = acquireBuffer(this.bufferSize());
    try {
      for (let any = true; any;) {
        any = false;
        for (const t of this.tracked) {
          if (!t.wake || this.isStopped()) continue;
          any = true;
          t.wake = false;
          try {
            await this.check(t, buf);
          } catch (err) {
            this.log('error', `Error reading ${t.path}: ${errorMessage(err)}`);
          }
        }
      }
    } finally {
      releaseBuffer(buf);
    }
  }

  /** One wake of one file: retired inodes first, then rotation checks, then new lines. */
  private async check(t: TrackedFile, buf: Buffer): Promise<void> {
    for (const r of [...t.retired]) {
      await this.drain(t, r, buf, Infinity);
      if (Date.now() - r.retiredAt >= this.retireMs) {
        await this.closeRetired(t, r, buf);
        t.retired.splice(t.retired.indexOf(r), 1);
      }
    }
    let st = await statPath(t.path);
    if (st && !st.isFile()) {
      if (!t.warnedNotFile) this.log('warning', `${t.path} is not a regular file; ignored until it is`);
      t.warnedNotFile = true;
      st = null;
    }
    let cur = t.current;
    if (!cur) {
      if (!st) return;
      const r = await this.openCursor(t.path);
      if (!r) return;
      cur = t.current = r.cursor;
      // It appeared after start: everything in it is new (a saved position still applies if it matches).
      this.applySavedPosition(t, cur, r.size);
      t.caughtUp = true;
      t.posDirty = true;
      this.log('info', `Log file ${t.path} appeared; reading from pos ${cur.pos}`);
      this.watchFile(t);
    } else if (st && (st.ino !== cur.ino || st.dev !== cur.dev)) {
      // Rename+create: finish the old inode through the fd we hold, then follow the new file from 0.
      // (It may have been truncated first — copytruncate then rename — so validate it before.)
      this.log('info', `Log rotation detected for ${t.path}`);
      if ((await fstatFd(cur.fd)).size < cur.readPos) await this.restartFile(t, cur, buf, false);
      await this.drain(t, cur, buf, Infinity);
      cur.retiredAt = Date.now();
      t.retired.push(cur);
      t.current = null;
      const r = await this.openCursor(t.path);
      if (!r) return;
      cur = t.current = r.cursor;
      cur.seek(0);
      t.caughtUp = true;
      t.posDirty = true;
      this.watchFile(t);
    } else if (st) {
      if (st.size === cur.readPos && st.size === cur.lastSize && st.mtimeMs === cur.lastMtimeMs) return;
      cur.lastSize = st.size;
      cur.lastMtimeMs = st.mtimeMs;
      // Copytruncate seen as a shorter file; a regrown one is caught by readChunk's first-line check.
      if (st.size < cur.readPos) await this.restartFile(t, cur, buf, true);
      else if (!cur.firstLine) await cur.loadFirstLine(buf);
    }
    // st === null: the file was removed; keep reading what the held fd still gives.
    await this.drain(t, cur, buf, CHUNKS_PER_TURN);
  }

  /** The file's content was replaced in place (copytruncate): read it again from 0. */
  private async restartFile(t: TrackedFile, cur: FileCursor, buf: Buffer, logIt: boolean): Promise<void> {
    if (logIt) this.log('info', `Log rotation detected for ${t.path}`);
    cur.seek(0);
    await cur.loadFirstLine(buf);
    if (cur === t.current) {
      t.caughtUp = true;
      t.posDirty = true;
    }
  }

  /** Read up to maxChunks chunks of `c` and deliver them; re-wakes the file if more is left. */
  private async drain(t: TrackedFile, c: FileCursor, buf: Buffer, maxChunks: number): Promise<void> {
    const isCurrent = c === t.current;
    for (let i = 0; i < maxChunks; i++) {
      const { lines, bytes, badBytes, replaced } = await c.readChunk(buf, t.path);
      if (replaced) {
        await this.restartFile(t, c, buf, isCurrent);
        continue;
      }
      if (badBytes && !c.warnedDecode) {
        c.warnedDecode = true;
        this.log(
          'warning',
          `Error decoding line from '${t.path}' with '${c.enc.name}'; invalid bytes replaced`,
        );
      }
      if (lines.length > 0) {
        const wait = this.emit(lines, t.path, !t.caughtUp);
        if (isCurrent) t.posDirty = true;
        if (wait) await wait;
        if (!c.firstLine && c.pos > 0) await c.loadFirstLine(buf);
      }
      if (bytes < this.limits.chunkSize) {
        if (isCurrent) t.caughtUp = true;
        return;
      }
    }
    t.wake = true;
  }

  private async closeRetired(t: TrackedFile, r: FileCursor, buf: Buffer): Promise<void> {
    await this.drain(t, r, buf, Infinity);
    // A rotated-away file's unterminated last line will never complete: hand it out rather than lose it.
    const last = r.takeUnterminated(t.path);
    if (last) await this.emit([last], t.path, false);
    await r.close();
  }

  /** Hands lines to the consumer; a promise back means "wait before reading more". */
  private emit(lines: LogLine[], path: string, catchingUp: boolean): Promise<unknown> | undefined {
    const fail = (err: unknown): void => {
      this.log('error', `Line consumer failed on ${path}: ${errorMessage(err)}`);
    };
    try {
      const wait = this.onLines(lines, { path, catchingUp });
      return wait instanceof Promise ? wait.then(undefined, fail) : undefined;
    } catch (err) {
      fail(err);
      return undefined;
    }
  }

  private wakeAll(): void {
    for (const t of this.tracked) t.wake = true;
    this.kick();
  }

  private startPollTimer(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = setInterval(() => {
      if (this.opts.backend !== 'polling') this.maintainWatchers();
      this.wakeAll();
    }, this.pollMs);
    this.pollTimer.unref();
  }

  private watchDir(dir: string): void {
    if (this.stopped || this.dirWatchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (_event, name) => {
        for (const t of this.tracked) {
          if (t.dir === dir && (name === null || name === t.base || t.retired.length > 0)) t.wake = true;
        }
        this.kick();
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.watchFailure(dir, err);
      return;
    }
    const entry = { watcher, ino: -1 };
    this.dirWatchers.set(dir, entry);
    watcher.on('error', () => {
      watcher.close();
      if (this.dirWatchers.get(dir) === entry) this.dirWatchers.delete(dir);
    });
    stat(dir, (err, st) => {
      if (!err) entry.ino = st.ino;
    });
  }

  /** Re-arm directory watches: a directory that was missing, or was removed and recreated. */
  private maintainWatchers(): void {
    const dirs = new Set(this.tracked.map((t) => t.dir));
    for (const dir of dirs) {
      const entry = this.dirWatchers.get(dir);
      if (!entry) {
        this.watchDir(dir);
        continue;
      }
      stat(dir, (err, st) => {
        if (entry.ino !== -1 && (err || st.ino !== entry.ino)) {
          entry.watcher.close();
          if (this.dirWatchers.get(dir) === entry) this.dirWatchers.delete(dir);
        }
      });
    }
  }

  /** A watch on the file itself also catches writes through a symlink into another directory. */
  private watchFile(t: TrackedFile): void {
    t.watcher?.close();
    t.watcher = null;
    if (this.opts.backend === 'polling' || this.stopped) return;
    try {
      const w = watch(t.path, { persistent: false }, () => {
        t.wake = true;
        this.kick();
      });
      w.on('error', () => {
        w.close();
        if (t.watcher === w) t.watcher = null;
      });
      t.watcher = w;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.watchFailure(t.path, err);
    }
  }

  /** inotify limits hit (ENOSPC/EMFILE): fall back to fast polling rather than fail. */
  private watchFailure(what: string, err: unknown): void {
    if (this.watchFailed) return;
    this.watchFailed = true;
    const fallback = Math.min(this.pollMs, 250);
    this.log('warning', `Cannot watch ${what} (${errorMessage(err)}); polling every ${fallback} ms instead`);
    this.pollMs = fallback;
    this.startPollTimer();
  }
}
