/**
 * The INFO lines fail2ban 1.0.2's server writes while its client configures a new jail: each
 * command of the jail's start-up stream that a setter logs (`  maxRetry: 3`, `Set banTime.factor = 2`
 * …), in stream order, so a user's log reads as before.
 */
import type { Command, StreamValue } from '../cli/config-stream.js';
import { parseSpec } from '../config/params.js';
import { str2sec } from '../config/timespec.js';
import { pyRepr } from '../control/pyrepr.js';

export interface AnnounceLine {
  /** Logger below `fail2ban.` */
  logger: 'jail' | 'filter' | 'actions';
  level: 'INFO' | 'WARNING';
  msg: string;
}

/** What fail2ban calls each backend in "Jail 'x' uses …"; `auto` on Debian (pyinotify recommended) picks pyinotify. */
const BACKEND_WORD: Readonly<Record<string, string>> = {
  polling: 'poller',
  pyinotify: 'pyinotify',
  gamin: 'Gamin',
  systemd: 'systemd',
};

/** Python's str() of a scalar stream value: True/False, None for an empty option. */
function pyStr(v: StreamValue | undefined): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === '' || v === null || v === undefined) return 'None';
  return typeof v === 'object' ? pyRepr(v) : String(v);
}

/** Python's str() of a number of seconds (`600`, `5400.5`). */
function seconds(v: StreamValue | undefined): string {
  return String(typeof v === 'number' ? v : str2sec(pyStr(v)));
}

export function announceLines(stream: readonly Command[], hasDatabase: boolean): AnnounceLine[] {
  const out: AnnounceLine[] = [];
  const info = (logger: AnnounceLine['logger'], msg: string): void => {
    out.push({ logger, level: 'INFO', msg });
  };
  for (const c of stream) {
    if (c[0] === 'add') {
      const spec = parseSpec(pyStr(c[2]));
      const kind = spec.name === 'auto' ? 'pyinotify' : spec.name;
      const params = Object.entries(spec.params)
        .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
        .join(', ');
      info('jail', `Jail '${pyStr(c[1])}' uses ${BACKEND_WORD[kind] ?? kind} {${params}}`);
      info('jail', `Initiated '${kind}' backend`);
      continue;
    }
    if (c[0] !== 'set') continue;
    const [, , key, value] = c;
    switch (key) {
      case 'maxlines':
        info('filter', `  maxLines: ${pyStr(value)}`);
        break;
      case 'maxretry':
        info('filter', `  maxRetry: ${pyStr(value)}`);
        break;
      case 'findtime':
        info('filter', `  findtime: ${seconds(value)}`);
        break;
      case 'bantime':
        info('actions', `  banTime: ${seconds(value)}`);
        break;
      case 'logencoding':
        info('filter', `  encoding: ${pyStr(value).toLowerCase() === 'auto' ? 'UTF-8' : pyStr(value)}`);
        break;
      default:
        if (typeof key === 'string' && key.startsWith('bantime.')) {
          info('jail', `Set banTime.${key.slice(8)} = ${pyStr(value)}`);
          if (key === 'bantime.increment' && value === true && !hasDatabase)
            out.push({
              logger: 'jail',
              level: 'WARNING',
              msg: 'ban time increment is not available as long jail database is not set',
            });
        }
    }
  }
  return out;
}
