import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, statSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { syslogSeverity } from './levels.js';

/**
 * Where formatted log lines go. Every sink swallows its own failures: logging must never throw
 * into the code that logs. A sink that breaks sends the line (and one warning) to stderr.
 */
export interface LogSink {
  /** `line` has no trailing newline. */
  write(line: string, level: number, name: string): void;
  /** SIGUSR1 / `flushlogs`: files are reopened (follows logrotate's rename). */
  reopen(): void;
  close(): void;
}

/** `TARGET[key=value, …]` as fail2ban accepts it (e.g. `SYSLOG[facility=auth]`, `STDOUT[padding=0]`). */
export function splitTargetOptions(spec: string): { target: string; options: Record<string, string> } {
  const m = /^(.*?)\[(.*)\]\s*$/s.exec(spec.trim());
  if (!m) return { target: spec.trim(), options: {} };
  const options: Record<string, string> = {};
  for (const m2 of m[2]!.matchAll(/\s*(\w+)\s*=\s*("[^"]*"|'[^']*'|[^,]*)\s*(?:,|$)/g)) {
    let v = m2[2]!.trim();
    if (/^(["']).*\1$/s.test(v)) v = v.slice(1, -1);
    options[m2[1]!.toLowerCase()] = v;
  }
  return { target: m[1]!.trim(), options };
}

function stderrLine(s: string): void {
  try {
    process.stderr.write(`${s}\n`);
  } catch {
    // nowhere left to report to
  }
}

export function warnFallback(target: string, err: unknown): void {
  stderrLine(`logjail: log target ${target} failed (${errorMessage(err)}); logging to stderr`);
}

export class StreamSink implements LogSink {
  /** `prefixPriority`: `<N>` severity prefixes, which systemd's journal reads from a service's stderr. */
  constructor(
    private readonly stream: 'stdout' | 'stderr',
    private readonly prefixPriority = false,
  ) {}

  write(line: string, level: number): void {
    const text = this.prefixPriority ? `<${syslogSeverity(level)}>${line}` : line;
    try {
      // process.stdout/stderr are synchronous for files, TTYs and pipes on Linux
      (this.stream === 'stdout' ? process.stdout : process.stderr).write(`${text}\n`);
    } catch {
      // a closed stdout must not take the server down
    }
  }

  reopen(): void {
    // nothing buffered
  }

  close(): void {
    // process streams stay open
  }
}

/**
 * Appends to a file. The first line of an event-loop turn is written at once; further lines of
 * the same turn (a catch-up logs tens of thousands of "already banned") are joined into one
 * write at the end of the turn, and on reopen/close/exit. So a quiet daemon's log is as current
 * as with one write per line, and a kill -9 loses at most the lines of the turn it hit.
 */
export class FileSink implements LogSink {
  private fd: number | null;
  private broken = false;
  private pending: string[] = [];
  private burst = false;

  /** Throws when the file cannot be opened for appending (caller keeps its previous target). */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
    openSinks.add(this);
  }

  write(line: string): void {
    if (this.fd === null || this.broken) {
      // falling back to stderr: no batching, the operator should see it now
      this.flush();
      this.append(`${line}\n`);
      return;
    }
    if (!this.burst) {
      this.burst = true;
      setImmediate(() => {
        this.flush();
      }).unref();
      this.append(`${line}\n`);
      return;
    }
    this.pending.push(line);
  }

  /** Writes what this turn buffered. */
  flush(): void {
    this.burst = false;
    if (this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.append(text);
  }

  private append(text: string): void {
    if (this.fd === null) {
      stderrLine(text.slice(0, -1));
      return;
    }
    try {
      writeSync(this.fd, text);
      this.broken = false;
    } catch (err) {
      if (!this.broken) warnFallback(this.path, err);
      this.broken = true;
      stderrLine(text.slice(0, -1));
    }
  }

  reopen(): void {
    this.flush();
    this.closeFd();
    try {
      this.fd = openSync(this.path, 'a');
      this.broken = false;
    } catch (err) {
      warnFallback(this.path, err);
      this.broken = true;
    }
  }

  close(): void {
    this.flush();
    this.closeFd();
    openSinks.delete(this);
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = null;
  }
}

const openSinks = new Set<FileSink>();
process.on('exit', () => {
  for (const s of openSinks) s.flush();
});

export const SYSLOG_FACILITIES: Readonly<Record<string, number>> = {
  KERN: 0,
  USER: 1,
  MAIL: 2,
  DAEMON: 3,
  AUTH: 4,
  SYSLOG: 5,
  LPR: 6,
  NEWS: 7,
  UUCP: 8,
  CRON: 9,
  AUTHPRIV: 10,
  FTP: 11,
  LOCAL0: 16,
  LOCAL1: 17,
  LOCAL2: 18,
  LOCAL3: 19,
  LOCAL4: 20,
  LOCAL5: 21,
  LOCAL6: 22,
  LOCAL7: 23,
};

export function findInPath(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

/**
 * Syslog through util-linux `logger`: Node cannot send unix datagrams, which /dev/log needs.
 * One long-lived `logger --prio-prefix -t <name> --id=<pid>` per logger name (fail2ban uses a
 * handful), so syslog shows `fail2ban.actions[pid]: NOTICE [sshd] Ban …` exactly as fail2ban's
 * handler does. The lines are handed over asynchronously through a pipe.
 */
export class SyslogSink implements LogSink {
  private readonly children = new Map<string, ChildProcess>();
  private broken = false;

  /** Throws when the socket or the `logger` command is missing (caller keeps its previous target). */
  constructor(
    readonly socketPath: string,
    private readonly facility: number,
    private readonly pid: number,
    private readonly loggerCmd: string | null = findInPath('logger'),
  ) {
    let isSock = false;
    try {
      isSock = statSync(socketPath).isSocket();
    } catch {
      // reported below
    }
    if (!isSock) throw new Error(`Syslog socket file: ${socketPath} does not exists or is not a socket`);
    if (!this.loggerCmd)
      throw new Error('the `logger` command (util-linux) is needed for SYSLOG and was not found');
  }

  write(line: string, level: number, name: string): void {
    if (this.broken) {
      stderrLine(line);
      return;
    }
    const pri = `<${this.facility * 8 + syslogSeverity(level)}>`;
    // logger reads one message per line: give continuation lines the same priority
    const text = line
      .split('\n')
      .map((l) => pri + l)
      .join('\n');
    try {
      this.child(name).stdin?.write(`${text}\n`);
    } catch (err) {
      this.fail(err, line);
    }
  }

  private child(name: string): ChildProcess {
    let c = this.children.get(name);
    if (c) return c;
    c = spawn(
      this.loggerCmd!,
      ['--prio-prefix', '-t', name, `--id=${this.pid}`, '-u', this.socketPath, '--socket-errors=on'],
      { stdio: ['pipe', 'ignore', 'inherit'] },
    );
    c.on('error', (err) => {
      this.fail(err, null);
    });
    c.stdin?.on('error', (err) => {
      this.fail(err, null);
    });
    c.on('exit', (code) => {
      if (this.children.get(name) === c) {
        this.children.delete(name);
        if (code !== 0 && code !== null) this.fail(new Error(`logger exited with status ${code}`), null);
      }
    });
    // the logging pipe must not keep a stopping server alive
    c.unref();
    (c.stdin as Socket | null)?.unref();
    this.children.set(name, c);
    return c;
  }

  private fail(err: unknown, line: string | null): void {
    if (!this.broken) warnFallback(`SYSLOG (${this.socketPath})`, err);
    this.broken = true;
    if (line !== null) stderrLine(line);
  }

  reopen(): void {
    // nothing to reopen; a broken pipe is retried
    this.broken = false;
  }

  close(): void {
    for (const c of this.children.values()) c.stdin?.end();
    this.children.clear();
  }

  /** Resolves when every `logger` child has flushed and exited (tests, orderly shutdown). */
  async drain(): Promise<void> {
    const all = [...this.children.values()];
    this.close();
    await Promise.all(
      all.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) resolve();
            else
              c.once('close', () => {
                resolve();
              });
          }),
      ),
    );
  }
}
