/**
 * Python `logging` %-style format strings, for the keys fail2ban's formats use. fail2ban's default
 * (`%(asctime)s %(name)-24s[%(process)d]: %(levelname)-7s %(message)s`) must be reproduced byte
 * for byte: the recidive filter parses our own log.
 */

export interface LogRecord {
  /** Epoch seconds, with fraction. */
  time: number;
  name: string;
  level: number;
  levelName: string;
  pid: number;
  message: string;
}

/** fail2ban's default layout (getVerbosityFormat with verbosity 0). */
export function defaultFormat(opts: { datetime: boolean; padding: boolean }): string {
  let fmt = '%(name)-24s[%(process)d]: %(levelname)-7s %(message)s';
  if (opts.datetime) fmt = `%(asctime)s ${fmt}`;
  // without padding every width is dropped, as fail2ban does for syslog
  return opts.padding ? fmt : fmt.replace(/(?<=\))-?\d+(?:\.\d+)?s/g, 's');
}

let cachedSecond = NaN;
let cachedTz: string | undefined;
let cachedPrefix = '';

/** `YYYY-mm-dd HH:MM:SS,mmm` in local time (Python's default asctime, milliseconds truncated). */
export function asctime(epochSeconds: number): string {
  const ms = Math.floor(Math.round(epochSeconds * 1e6) / 1000);
  const second = Math.floor(ms / 1000);
  const tz = process.env.TZ;
  // many lines share a second: the local-time breakdown is the costly part
  if (second !== cachedSecond || tz !== cachedTz) {
    const d = new Date(second * 1000);
    const p = (n: number) => String(n).padStart(2, '0');
    cachedPrefix =
      `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
      `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},`;
    cachedSecond = second;
    cachedTz = tz;
  }
  return cachedPrefix + String(ms - second * 1000).padStart(3, '0');
}

type Part = string | ((r: LogRecord) => string);

function field(key: string, r: LogRecord): string {
  switch (key) {
    case 'asctime':
      return asctime(r.time);
    case 'name':
      return r.name;
    case 'process':
      return String(r.pid);
    case 'levelname':
      return r.levelName;
    case 'levelno':
      return String(r.level);
    case 'message':
      return r.message;
    case 'created':
      return String(r.time);
    case 'msecs':
      return String(Math.floor((r.time * 1000) % 1000));
    default:
      return ''; // thread, module … have no meaning here
  }
}

/** Compile a format once; the result renders a record into one line (no newline). */
export function compileFormat(fmt: string): (r: LogRecord) => string {
  const parts: Part[] = [];
  const re = /%\((\w+)\)(-?)(\d*)(?:\.(\d+))?[sdf]|%%/g;
  let last = 0;
  for (let m = re.exec(fmt); m; m = re.exec(fmt)) {
    if (m.index > last) parts.push(fmt.slice(last, m.index));
    last = re.lastIndex;
    if (m[0] === '%%') {
      parts.push('%');
      continue;
    }
    const key = m[1]!;
    const left = m[2] === '-';
    const width = m[3] ? Number(m[3]) : 0;
    const prec = m[4] !== undefined ? Number(m[4]) : -1;
    parts.push((r) => {
      let v = field(key, r);
      if (prec >= 0) v = v.slice(0, prec);
      return left ? v.padEnd(width) : v.padStart(width);
    });
  }
  if (last < fmt.length) parts.push(fmt.slice(last));
  return (r) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(r);
    return out;
  };
}
