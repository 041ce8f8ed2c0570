import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { LogjailError, errorMessage } from '../../core/errors.js';
import type { LogLine } from '../../core/failure.js';
import {
  silentLogger,
  type LogSource,
  type OnLines,
  type PositionStore,
  type SourceLogger,
} from '../source.js';
import { formatJournalEntry, type JournalEntry } from './format.js';
import { shellSplit } from './shell-split.js';

export interface JournalSourceOptions {
  /** `journalmatch` lines: each is shell-split; `+` inside a line and between lines means OR. */
  matches: string[];
  /** Cursor persistence under the path "journal" (cursor in firstLineMd5, entry time in pos). */
  positions?: PositionStore;
  /**
   * Without a saved cursor, start at this epoch second (e.g. now - findtime). Default: the start
   * time — not `--lines=0`, which would drop entries logged while journalctl is starting.
   */
  since?: number;
  /** Extra journalctl arguments from the backend parameters (see journalArgsFromBackendOptions). */
  extraArgs?: string[];
  /** The journalctl executable (default "journalctl", looked up in PATH). */
  command?: string;
  env?: NodeJS.ProcessEnv;
  /** First restart delay after journalctl dies (default 1000 ms, doubling up to 30 s). */
  restartDelayMs?: number;
  log?: SourceLogger;
}

export const JOURNAL_PATH = 'journal';
const POSITION_FLUSH_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;

/** journalctl arguments for the matches: lines are OR-ed like `+` inside a line. */
export function journalMatchArgs(matches: string[]): string[] {
  const out: string[] = [];
  for (const m of matches) {
    const words = shellSplit(m);
    if (words.length === 0) continue;
    if (out.length > 0) out.push('+');
    out.push(...words);
  }
  return out;
}

/** Backend parameters (`backend = systemd[journalpath=…, namespace=…]`) as journalctl arguments. */
export function journalArgsFromBackendOptions(o: Record<string, string>): string[] {
  const args: string[] = [];
  if (o.journalpath) args.push(`--directory=${o.journalpath}`);
  if (o.journalfiles)
    for (const f of o.journalfiles.split(/[\s,]+/).filter(Boolean)) args.push(`--file=${f}`);
  if (o.namespace) args.push(`--namespace=${o.namespace}`);
  const flags = Number(o.journalflags ?? '0');
  if (flags & 4) args.push('--system');
  if (flags & 8) args.push('--user');
  return args;
}

/**
 * Follows the systemd journal through `journalctl -f -o json`. Each stdout chunk becomes one
 * batch; the last cursor delivered is persisted so a restart continues right after it.
 */
export class JournalSource implements LogSource {
  private readonly log: SourceLogger;
  private readonly matchArgs: string[];
  private child: ChildProcess | null = null;
  private exited: Promise<void> | null = null;
  private cursor = '';
  private lastTime = 0;
  private cursorBad = false;
  private posDirty = false;
  private caughtUp = false;
  private stopped = false;
  private started = false;
  private restartDelay: number;
  private since = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: JournalSourceOptions,
    private readonly onLines: OnLines,
  ) {
    this.log = opts.log ?? silentLogger;
    this.matchArgs = journalMatchArgs(opts.matches);
    this.restartDelay = opts.restartDelayMs ?? 1000;
    const saved = opts.positions?.get(JOURNAL_PATH) ?? null;
    if (saved) {
      this.cursor = saved.firstLineMd5;
      this.lastTime = saved.pos;
    }
  }

  files(): string[] {
    return [];
  }

  /** For status: "Journal matches: m1 + m2". */
  matchDescription(): string {
    return this.opts.matches.join(' + ');
  }

  /** Nothing to open ahead: the journal is read through journalctl once started. */
  open(): Promise<void> {
    return Promise.resolve();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.since = this.opts.since ?? Date.now() / 1000;
    await this.spawnChild();
    this.flushTimer = setInterval(() => {
      this.flushPositions();
    }, POSITION_FLUSH_MS);
    this.flushTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(killer);
    }
    this.flushPositions();
  }

  flushPositions(): void {
    if (!this.posDirty || !this.opts.positions) return;
    this.posDirty = false;
    try {
      this.opts.positions.set(JOURNAL_PATH, { firstLineMd5: this.cursor, pos: Math.floor(this.lastTime) });
    } catch (err) {
      this.log('error', `Cannot save the journal cursor: ${errorMessage(err)}`);
    }
  }

  private args(): string[] {
    const a = ['-f', '-o', 'json', '--no-pager', '--all'];
    if (this.cursor && !this.cursorBad) a.push('--no-tail', `--after-cursor=${this.cursor}`);
    else if (this.cursor && this.lastTime > 0) a.push('--no-tail', `--since=@${Math.floor(this.lastTime)}`);
    else a.push('--no-tail', `--since=@${Math.floor(this.since)}`);
    return [...a, ...(this.opts.extraArgs ?? []), ...this.matchArgs];
  }

  private spawnChild(): Promise<void> {
    const cmd = this.opts.command ?? 'journalctl';
    const args = this.args();
    const usedCursor = args.some((a) => a.startsWith('--after-cursor='));
    const spawnedAt = Date.now() / 1000;
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.opts.env ?? process.env });
    this.child = child;
    let entries = 0;
    let stderr = '';
    let partial = '';
    const dec = new StringDecoder('utf8');
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.stopped) return;
      const text = partial + dec.write(chunk);
      const nl = text.lastIndexOf('\n');
      if (nl < 0) {
        partial = text;
        return;
      }
      partial = text.slice(nl + 1);
      const batch = this.parse(text.slice(0, nl), spawnedAt);
      entries += batch.length;
      if (batch.length > 0) {
        this.restartDelay = this.opts.restartDelayMs ?? 1000;
        // Old entries until one stamped after journalctl started shows up.
        if ((batch.at(-1)!.time ?? Infinity) >= spawnedAt) this.caughtUp = true;
        const catchingUp = !this.caughtUp;
        const fail = (err: unknown): void => {
          this.log('error', `Line consumer failed on the journal: ${errorMessage(err)}`);
        };
        try {
          const wait = this.onLines(batch, { path: JOURNAL_PATH, catchingUp });
          if (wait instanceof Promise) {
            // backpressure: journalctl blocks on its pipe until the jail has caught up
            child.stdout.pause();
            void wait.then(undefined, fail).finally(() => child.stdout.resume());
          }
        } catch (err) {
          fail(err);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        resolve();
        if (this.stopped) return;
        if (usedCursor && code !== 0 && entries === 0) this.cursorBad = true; // e.g. cursor vacuumed away
        const why = stderr.trim().split('\n').at(-1) ?? '';
        this.log(
          'warning',
          `journalctl exited (${signal ?? `code ${code ?? '?'}`})${why ? `: ${why}` : ''}; restarting in ${this.restartDelay} ms`,
        );
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          this.spawnChild().catch((err: unknown) => {
            this.log('error', errorMessage(err));
          });
        }, this.restartDelay);
        this.restartTimer.unref();
        this.restartDelay = Math.min(this.restartDelay * 2, MAX_RESTART_DELAY_MS);
      });
    });
    return new Promise((resolve, reject) => {
      child.once('spawn', () => {
        resolve();
      });
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') {
          reject(
            new LogjailError(
              'E_SOURCE',
              `backend systemd: '${cmd}' not found; install journalctl (systemd) or use a file backend`,
            ),
          );
        } else reject(new LogjailError('E_SOURCE', `backend systemd: cannot run '${cmd}': ${err.message}`));
      });
    });
  }

  private parse(block: string, spawnedAt: number): LogLine[] {
    const out: LogLine[] = [];
    for (const raw of block.split('\n')) {
      if (raw.trim() === '') continue;
      let e: JournalEntry;
      try {
        e = JSON.parse(raw) as JournalEntry;
      } catch {
        this.log('warning', `journalctl: unparsable output line: ${raw.slice(0, 200)}`);
        continue;
      }
      const { text, time } = formatJournalEntry(e);
      out.push(time === undefined ? { text, source: JOURNAL_PATH } : { text, source: JOURNAL_PATH, time });
      if (typeof e.__CURSOR === 'string') {
        this.cursor = e.__CURSOR;
        this.cursorBad = false;
      }
      this.lastTime = time ?? spawnedAt;
      this.posDirty = true;
    }
    return out;
  }
}
