import { errorMessage } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import { compileFormat, defaultFormat, type LogRecord } from './log-format.js';
import { levelName, parseLogLevel } from './levels.js';
import {
  FileSink,
  StreamSink,
  SyslogSink,
  SYSLOG_FACILITIES,
  splitTargetOptions,
  warnFallback,
  type LogSink,
} from './log-targets.js';

/**
 * The server log in fail2ban's format (anatomy §5.5):
 * `2026-11-25 06:19:28,957 fail2ban.actions        [19166]: NOTICE  [sshd] Ban 192.0.2.10`.
 *
 * Targets (`logtarget`, optionally with `[padding=…, datetime=…, format=…, facility=…]`):
 * - a file path: appended to synchronously; `reopen()` reopens it (logrotate + flushlogs/SIGUSR1);
 * - STDOUT, STDERR; SYSOUT = stdout without the date;
 * - SYSLOG: via util-linux `logger` (see SyslogSink), no date, no padding, `facility` (default DAEMON);
 * - SYSTEMD-JOURNAL: stderr without date/padding; under systemd (JOURNAL_STREAM set) each line gets
 *   a `<N>` priority prefix, which the journal turns into the entry's PRIORITY.
 * A target that cannot be opened is refused by setTarget (false, previous target kept) and
 * replaced by stderr (with a warning) at creation. Logging never throws.
 */

/** Logger names fail2ban uses; recidive and log readers rely on them. */
export const LOGGER_NAMES = {
  server: 'fail2ban.server',
  transmitter: 'fail2ban.transmitter',
  filter: 'fail2ban.filter',
  filterSystemd: 'fail2ban.filtersystemd',
  actions: 'fail2ban.actions',
  action: 'fail2ban.utils',
  jail: 'fail2ban.jail',
  database: 'fail2ban.database',
  observer: 'fail2ban.observer',
  ipdns: 'fail2ban.ipdns',
  banmanager: 'fail2ban.banmanager',
  failmanager: 'fail2ban.failmanager',
  config: 'fail2ban.configreader',
} as const;

export type LevelLike = string | number;

/** A logger bound to one name (`fail2ban.actions` …). */
export interface NamedLogger {
  readonly name: string;
  log(level: LevelLike, msg: string): void;
  isEnabledFor(level: LevelLike): boolean;
  critical(msg: string): void;
  error(msg: string): void;
  warning(msg: string): void;
  notice(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  traceDebug(msg: string): void;
  heavyDebug(msg: string): void;
}

/** The process-wide logger: owns level and target; its own shortcuts log as `fail2ban.server`. */
export interface Logger extends NamedLogger {
  /** `child('actions')` and `child('fail2ban.actions')` are the same logger. */
  child(name: string): NamedLogger;
  /** Log under any name; an invalid level logs at ERROR rather than throwing. */
  log(level: LevelLike, nameOrMsg: string, msg?: string): void;
  /** Throws UsageError for an unknown level name. */
  setLevel(level: LevelLike): void;
  /** The level as set, upper-cased (`get loglevel` shows it). */
  getLevel(): string;
  levelNo(): number;
  /** false (and the previous target kept) when the new target cannot be used. */
  setTarget(target: string): boolean;
  getTarget(): string;
  /** `set syslogsocket`: used from the next SYSLOG target on (a SYSLOG target now reopens). */
  setSyslogSocket(path: string): boolean;
  getSyslogSocket(): string;
  /** SIGUSR1 / `flushlogs`: file targets are reopened → 'rolled over', others → 'flushed'. */
  reopen(): 'rolled over' | 'flushed';
  close(): void;
}

export interface LoggerOptions {
  target: string;
  level: LevelLike;
  clock?: Clock;
  /** Process id shown in lines (default: process.pid). */
  pid?: number;
  /** fail2ban's `syslogsocket` (default `auto` = /dev/log). */
  syslogSocket?: string;
}

interface Target {
  spec: string;
  kind: 'file' | 'stream' | 'syslog';
  sink: LogSink;
  render: (r: LogRecord) => string;
}

function asBool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  return /^(1|yes|true|on)$/i.test(v.trim());
}

function openTarget(spec: string, pid: number, syslogSocket: string): Target {
  const { target, options } = splitTargetOptions(spec);
  const sys = target.toUpperCase();
  let sink: LogSink;
  let kind: Target['kind'] = 'stream';
  let datetime = true;
  let padding = true;
  if (sys === 'STDOUT' || sys === 'SYSOUT') {
    sink = new StreamSink('stdout');
    datetime = sys === 'STDOUT';
  } else if (sys === 'STDERR' || sys === 'INHERITED') {
    sink = new StreamSink('stderr');
  } else if (sys === 'SYSTEMD-JOURNAL') {
    sink = new StreamSink('stderr', process.env.JOURNAL_STREAM !== undefined);
    datetime = false;
    padding = false;
  } else if (sys === 'SYSLOG') {
    const fac = SYSLOG_FACILITIES[(options.facility ?? 'DAEMON').toUpperCase()] ?? SYSLOG_FACILITIES.DAEMON!;
    sink = new SyslogSink(syslogSocket === 'auto' ? '/dev/log' : syslogSocket, fac, pid);
    kind = 'syslog';
    datetime = false;
    padding = false;
  } else {
    sink = new FileSink(target);
    kind = 'file';
  }
  datetime = asBool(options.datetime, datetime);
  padding = asBool(options.padding, padding);
  let fmt = options.format ?? defaultFormat({ datetime, padding });
  // syslog puts `name[pid]:` in its own header (logger -t name --id=pid)
  if (kind === 'syslog' && options.format === undefined)
    fmt = fmt.replace(/^%\(name\)-?\d*s\[%\(process\)d\]: /, '');
  return { spec, kind, sink, render: compileFormat(fmt) };
}

const FULL_PREFIX = 'fail2ban';

function fullName(name: string): string {
  return name === FULL_PREFIX || name.startsWith(`${FULL_PREFIX}.`) ? name : `${FULL_PREFIX}.${name}`;
}

export function createLogger(opts: LoggerOptions): Logger {
  const clock = opts.clock ?? systemClock;
  const pid = opts.pid ?? process.pid;
  let syslogSocket = opts.syslogSocket ?? 'auto';
  let levelNo = parseLogLevel(opts.level);
  let levelText = String(opts.level).toUpperCase();
  let target: Target;
  try {
    target = openTarget(opts.target, pid, syslogSocket);
  } catch (err) {
    warnFallback(opts.target, err);
    target = openTarget('STDERR', pid, syslogSocket);
    target.spec = opts.target;
  }

  const toLevel = (l: LevelLike): number => {
    try {
      return parseLogLevel(l);
    } catch {
      return 40;
    }
  };
  const enabled = (lv: number): boolean => lv >= levelNo;

  const emit = (lv: number, name: string, message: string): void => {
    if (!enabled(lv)) return;
    try {
      const line = target.render({
        time: clock.now(),
        name,
        level: lv,
        levelName: levelName(lv),
        pid,
        message,
      });
      target.sink.write(line, lv, name);
    } catch (err) {
      // a renderer or sink bug must not reach the caller
      warnFallback(target.spec, err);
    }
  };

  const named = (name: string): NamedLogger => ({
    name,
    log: (l, msg) => {
      emit(toLevel(l), name, msg);
    },
    isEnabledFor: (l) => enabled(toLevel(l)),
    critical: (m) => {
      emit(50, name, m);
    },
    error: (m) => {
      emit(40, name, m);
    },
    warning: (m) => {
      emit(30, name, m);
    },
    notice: (m) => {
      emit(25, name, m);
    },
    info: (m) => {
      emit(20, name, m);
    },
    debug: (m) => {
      emit(10, name, m);
    },
    traceDebug: (m) => {
      emit(7, name, m);
    },
    heavyDebug: (m) => {
      emit(5, name, m);
    },
  });

  const children = new Map<string, NamedLogger>();
  const server = named(LOGGER_NAMES.server);

  return {
    ...server,
    log(level: LevelLike, nameOrMsg: string, msg?: string): void {
      if (msg === undefined) emit(toLevel(level), LOGGER_NAMES.server, nameOrMsg);
      else emit(toLevel(level), fullName(nameOrMsg), msg);
    },
    child(name: string): NamedLogger {
      const full = fullName(name);
      let c = children.get(full);
      if (!c) children.set(full, (c = named(full)));
      return c;
    },
    setLevel(level: LevelLike): void {
      levelNo = parseLogLevel(level);
      levelText = String(level).trim().toUpperCase();
    },
    getLevel: () => levelText,
    levelNo: () => levelNo,
    setTarget(spec: string): boolean {
      if (spec === target.spec) return true;
      let next: Target;
      try {
        next = openTarget(spec, pid, syslogSocket);
      } catch (err) {
        emit(40, LOGGER_NAMES.server, `Unable to log to ${spec}: ${errorMessage(err)}`);
        emit(20, LOGGER_NAMES.server, `Logging to previous target ${target.spec}`);
        return false;
      }
      target.sink.close();
      target = next;
      return true;
    },
    getTarget: () => target.spec,
    setSyslogSocket(path: string): boolean {
      if (path === syslogSocket) return true;
      syslogSocket = path;
      if (target.kind !== 'syslog') return true;
      // the same target spec: setTarget would keep the old sink
      const spec = target.spec;
      target.spec = '';
      const ok = this.setTarget(spec);
      if (!ok) target.spec = spec;
      return ok;
    },
    getSyslogSocket: () => syslogSocket,
    reopen(): 'rolled over' | 'flushed' {
      target.sink.reopen();
      const file = target.kind === 'file';
      emit(20, LOGGER_NAMES.server, `${file ? 'rollover' : 'flush'} performed on ${target.spec}`);
      return file ? 'rolled over' : 'flushed';
    },
    close(): void {
      target.sink.close();
    },
  };
}
