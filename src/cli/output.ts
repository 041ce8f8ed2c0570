import { pyRepr } from '../control/pyrepr.js';
import { asctime } from '../observe/log-format.js';

/** fail2ban-style log line on stderr for client-side errors: `… fail2ban                [pid]: ERROR   NOK: ('x',)` */
export function clientLogLine(level: string, msg: string, now = new Date(), logger = 'fail2ban'): string {
  return `${asctime(now.getTime() / 1000)} ${logger.padEnd(24)}[${process.pid}]: ${level.padEnd(7)} ${msg}`;
}

/** A warning of fail2ban's config reader (`configreader`, `jailreader`), as its tools log it on stderr. */
export function readerWarning(msg: string, logger: 'configreader' | 'jailreader'): void {
  process.stderr.write(`${clientLogLine('WARNING', msg, new Date(), `fail2ban.${logger}`)}\n`);
}

/** Python's repr of an exception's args tuple, as in `NOK: ('nosuch',)`. */
export function argsTuple(msg: string): string {
  return `(${pyRepr(msg)},)`;
}

/** One clear line on stderr and the exit status; no stack traces for user errors. */
export function fail(msg: string, code = 255): never {
  process.stderr.write(`${msg}\n`);
  process.exit(code);
}
