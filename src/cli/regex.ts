import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { readFilter } from '../config/index.js';
import type { FilterDef } from '../config/types.js';
import { fixedClock, systemClock, type Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import type { Failure } from '../core/failure.js';
import { Filter } from '../filter/filter.js';
import { enableLinearFallback } from '../filter/translate/index.js';
import { pyRepr } from '../control/pyrepr.js';

/**
 * `logjail regex` / `fail2ban-regex`: test a filter against a log (file or literal line).
 * The report reproduces fail2ban-regex 1.0.2's layout; `--out json` and `--now` are ours.
 */
interface RegexOptions {
  config: string;
  datepattern: string | null;
  timezone: string | null;
  encoding: string;
  raw: boolean;
  usedns: string | null;
  maxlines: number | null;
  verbose: number;
  out: string | null;
  printAllMatched: boolean;
  printAllMissed: boolean;
  printAllIgnored: boolean;
  printNoMissed: boolean;
  printNoIgnored: boolean;
  noCheckAll: boolean;
  now: number | null;
  journalmatch: string | null;
}

const USAGE = `Usage: fail2ban-regex [OPTIONS] <LOG> <REGEX> [IGNOREREGEX]

LOG          a log file path or a literal log line
REGEX        a literal failregex, a filter name with options (sshd[mode=aggressive]) or a filter file
IGNOREREGEX  a literal ignoreregex

Options:
  -c, --config DIR          configuration directory (default /etc/logjail, then /etc/fail2ban)
  -d, --datepattern P       date pattern to use
  --timezone, --TZ TZ       time zone of the log dates (e.g. UTC, UTC+0200)
  -e, --encoding E          log encoding (default UTF-8)
  -r, --raw                 do not resolve host names
  --usedns V                yes | no | warn | raw
  -L, --maxlines N          lines to buffer for multi-line regexes
  -m, --journalmatch M      journal match (journal logs are not supported by this tool yet)
  -l, --log-level LEVEL     accepted for compatibility
  -v, --verbose             more output (repeatable)
  -o, --out FMT             id | ip | msg | row | json | <field> | template with tags; suppresses the report
  --print-all-matched, --print-all-missed, --print-all-ignored, --print-no-missed, --print-no-ignored
  --no-check-all            stop at the first matching regex
  --now EPOCH               fix "now" (year inference) for reproducible replays
  -h, --help                this help
`;

function parseArgs(argv: string[]): { o: RegexOptions; positional: string[] } {
  const o: RegexOptions = {
    config: defaultConfig(),
    datepattern: null,
    timezone: null,
    encoding: 'UTF-8',
    raw: false,
    usedns: null,
    maxlines: null,
    verbose: 0,
    out: null,
    printAllMatched: false,
    printAllMissed: false,
    printAllIgnored: false,
    printNoMissed: false,
    printNoIgnored: false,
    noCheckAll: false,
    now: null,
    journalmatch: null,
  };
  const positional: string[] = [];
  const args = [...argv];
  while (args.length > 0) {
    const a = args.shift()!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const need = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      const v = args.shift();
      if (v === undefined) throw new UsageError(`option ${flag} requires an argument`);
      return v;
    };
    switch (flag) {
      case '-c':
      case '--config':
        o.config = need();
        break;
      case '-d':
      case '--datepattern':
        o.datepattern = need();
        break;
      case '--timezone':
      case '--TZ':
        o.timezone = need();
        break;
      case '-e':
      case '--encoding':
        o.encoding = need();
        break;
      case '-r':
      case '--raw':
        o.raw = true;
        break;
      case '--usedns':
        o.usedns = need();
        break;
      case '-L':
      case '--maxlines': {
        const v = need();
        if (!/^\d+$/.test(v) || Number(v) < 1)
          throw new UsageError(`option ${flag}: expected a positive integer, got '${v}'`);
        o.maxlines = Number(v);
        break;
      }
      case '-m':
      case '--journalmatch':
        o.journalmatch = need();
        break;
      case '-l':
      case '--log-level':
      case '--verbosity':
        need();
        break;
      case '-v':
      case '--verbose':
        o.verbose++;
        break;
      case '-vv':
        o.verbose += 2;
        break;
      case '-o':
      case '--out':
        o.out = need();
        break;
      case '--print-all-matched':
        o.printAllMatched = true;
        break;
      case '--print-all-missed':
        o.printAllMissed = true;
        break;
      case '--print-all-ignored':
        o.printAllIgnored = true;
        break;
      case '--print-no-missed':
        o.printNoMissed = true;
        break;
      case '--print-no-ignored':
        o.printNoIgnored = true;
        break;
      case '--no-check-all':
        o.noCheckAll = true;
        break;
      case '--now': {
        const v = need();
        if (!/^\d+(\.\d+)?$/.test(v))
          throw new UsageError(`option --now: expected epoch seconds, got '${v}'`);
        o.now = Number(v);
        break;
      }
      case '-V':
      case '--verbose-date':
      case '--VD':
      case '-D':
      case '--debuggex':
      case '-t':
      case '--log-traceback':
      case '--full-traceback':
      case '-i':
      case '--invert':
        break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        if (a.startsWith('-') && a.length > 1 && positional.length === 0 && !/\s/.test(a)) {
          throw new UsageError(`unknown option ${a} (see --help)`);
        }
        positional.push(a);
    }
  }
  if (o.printNoMissed && o.printAllMissed)
    throw new UsageError('--print-no-missed and --print-all-missed are mutually exclusive');
  if (o.printNoIgnored && o.printAllIgnored)
    throw new UsageError('--print-no-ignored and --print-all-ignored are mutually exclusive');
  if (positional.length < 2 || positional.length > 3) {
    throw new UsageError(
      `expected <LOG> <REGEX> [IGNOREREGEX], got ${positional.length} argument(s) (see --help)`,
    );
  }
  return { o, positional };
}

function defaultConfig(): string {
  if (process.env.LOGJAIL_CONF) return process.env.LOGJAIL_CONF;
  if (existsSync('/etc/logjail')) return '/etc/logjail';
  return '/etc/fail2ban';
}

const shortstr = (s: string, l = 53): string => (s.length > l ? `${s.slice(0, l - 3)}...` : s);

/** Does the argument look like a file path the user meant (rather than a literal log line)? */
const looksLikePath = (s: string): boolean => !/\s/.test(s) && (s.includes('/') || /\.(log|txt|gz)$/.test(s));

/** Resolve REGEX: a filter file, a filter name with options, or a literal regex. */
function loadFilter(spec: string, o: RegexOptions, header: string[]): FilterDef {
  const nameLike = /^\/{0,3}[\w/\-.]+(?:\[.*\])?$/s.test(spec);
  if (nameLike) {
    const bare = spec.replace(/\[.*$/s, '');
    const isPath = bare.includes('/');
    if (isPath) {
      if (!existsSync(bare) || !statSync(bare).isFile()) {
        const hint = bare.includes('/filters.d/') ? ' (filters live in filter.d/, not filters.d/)' : '';
        throw new UsageError(`filter file not found: ${bare}${hint}`);
      }
      const dir = dirname(resolve(bare));
      const base = basename(dir) === 'filter.d' ? dirname(dir) : dir;
      header.push(
        `Use   failregex filter file : ${basename(bare).replace(/\.(conf|local)$/, '')}, basedir: ${base}`,
      );
    } else {
      header.push(`Use   failregex filter file : ${bare}, basedir: ${o.config}`);
    }
    const def = readFilter(o.config, spec);
    const opts = /\[(.*)\]$/s.exec(spec);
    if (opts) header.push(`Use   filter options : ${pyRepr(paramsOf(opts[1]!))}`);
    return def;
  }
  header.push(`Use   failregex line : ${shortstr(spec)}`);
  return literalFilter(spec);
}

function paramsOf(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([\w\-.?=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^,]*))/g)) {
    out[m[1]!] = (m[2] ?? m[3] ?? m[4] ?? '').trim();
  }
  return out;
}

function literalFilter(regex: string): FilterDef {
  const where = { file: '<command line>', line: 0 };
  return {
    name: 'command-line',
    file: '<command line>',
    prefregex: null,
    failregex: [{ regex, where }],
    ignoreregex: [],
    maxlines: 1,
    datepattern: null,
    journalmatch: [],
    usedns: null,
    options: {},
  };
}

interface Stats {
  tested: number;
  ignored: number;
  matched: number;
  missed: number;
  matchedLines: string[];
  missedLines: string[];
  ignoredLines: string[];
}

/** Reads a file in big chunks and yields complete lines; memory stays flat for any file size. */
function* fileLines(path: string, encoding: string, onProgress?: (bytes: number) => void): Generator<string> {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  const decoder = new TextDecoder(encodingLabel(encoding), { fatal: false });
  let carry = '';
  let total = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      const text = carry + decoder.decode(buf.subarray(0, n), { stream: true });
      let start = 0;
      let nl: number;
      while ((nl = text.indexOf('\n', start)) >= 0) {
        yield text.slice(start, nl);
        start = nl + 1;
      }
      carry = text.slice(start);
      onProgress?.(total);
    }
    carry += decoder.decode();
    if (carry !== '') yield carry;
  } finally {
    closeSync(fd);
  }
}

function encodingLabel(e: string): string {
  const l = e.toLowerCase();
  if (l === 'auto') return 'utf-8';
  try {
    new TextDecoder(l);
    return l;
  } catch {
    throw new UsageError(`unknown encoding '${e}'`);
  }
}

function isoTime(t: number): string {
  const d = new Date(t * 1000);
  const off = -d.getTimezoneOffset();
  const p = (n: number, w = 2): string => String(Math.trunc(Math.abs(n))).padStart(w, '0');
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${sign}${p(off / 60)}:${p(off % 60)}`;
}

function ctime(t: number): string {
  const d = new Date(t * 1000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const mons = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getDay()]!} ${mons[d.getMonth()]!} ${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

/** Python repr of a float ticket time (`1765538351.0`). */
const timeRepr = (t: number): string => (Number.isInteger(t) ? `${t}.0` : String(t));

function formatter(fmt: string): (f: Failure, lineNo: number) => string[] {
  switch (fmt) {
    case 'id':
    case 'fid':
      return (f) => [f.id];
    case 'ip':
      return (f) => [f.ip ?? f.id];
    case 'msg':
      return (f) => f.matches;
    case 'row':
      return (f) => [`[${pyRepr(f.id)},\t${timeRepr(f.time)},\t${pyRepr(f.fields)}],`];
    case 'json':
      return (f, lineNo) => [
        JSON.stringify({
          line: lineNo,
          id: f.id,
          ip: f.ip,
          time: f.time,
          iso: isoTime(f.time),
          matches: f.matches,
          fields: f.fields,
        }),
      ];
  }
  if (!fmt.includes('<')) return (f) => [f.fields[fmt] ?? (fmt === 'host' ? (f.ip ?? f.id) : 'None')];
  return (f) => {
    const tag = (name: string): string | undefined => {
      if (name === 'ip') return f.ip ?? f.id;
      if (name === 'fid' || name === 'id') return f.id;
      if (name === 'time') return String(f.time);
      if (name === 'matches' || name === 'msg') return f.matches.join('\n');
      if (name === 'failures') return String(f.count);
      if (name.startsWith('F-')) return f.fields[name.slice(2).toLowerCase()] ?? '';
      return undefined;
    };
    return [fmt.replace(/<([^<>]+)>/g, (m, n: string) => tag(n) ?? m)];
  };
}

export function regexMain(argv: string[]): Promise<number> {
  return Promise.resolve(runRegex(argv));
}

function runRegex(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`ERROR: ${(e as Error).message}\n`);
    return 255;
  }
  const { o, positional } = parsed;
  const [logArg, regexArg, ignoreArg] = positional as [string, string, string | undefined];
  const out = o.out;
  const lines: string[] = [];
  const say = (s: string): void => {
    if (!out) lines.push(s);
  };
  const flush = (): void => {
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    lines.length = 0;
  };
  enableLinearFallback();

  // The log argument: an existing file, or a literal line. Something that looks like a path but
  // does not exist is an error (the tutorial's own `/vaar/log/maillog` typo) rather than a "line".
  const isFile = existsSync(logArg) && statSync(logArg).isFile();
  if (!isFile && looksLikePath(logArg)) {
    process.stderr.write(`ERROR: log file not found: ${logArg}\n`);
    return 255;
  }
  if (logArg.startsWith('systemd-journal')) {
    process.stderr.write(
      'ERROR: reading the systemd journal is not supported by logjail regex yet; pass a log file\n',
    );
    return 255;
  }

  say('');
  say('Running tests');
  say('=============');
  say('');
  const header: string[] = [];
  let def: FilterDef;
  try {
    def = loadFilter(regexArg, o, header);
    if (ignoreArg !== undefined) {
      header.push(`Use ignoreregex line : ${shortstr(ignoreArg)}`);
      def = { ...def, ignoreregex: [{ regex: ignoreArg, where: { file: '<command line>', line: 0 } }] };
    }
  } catch (e) {
    for (const h of header) say(h);
    flush();
    process.stderr.write(`ERROR: ${(e as Error).message}\n`);
    return 255;
  }
  for (const h of header) say(h);
  if (o.maxlines !== null) say(`Use         maxlines : ${o.maxlines}`);
  else if (def.options.maxlines !== undefined) say(`Use         maxlines : ${def.maxlines}`);
  const clock: Clock = o.now !== null ? fixedClock(o.now) : systemClock;
  const usedns = o.usedns ?? (o.raw ? 'raw' : 'raw');
  let filter: Filter;
  try {
    filter = new Filter(def, {
      clock,
      mode: 'test',
      checkAll: !o.noCheckAll,
      usedns,
      logtimezone: o.timezone,
      ...(o.maxlines !== null ? { maxlines: o.maxlines } : {}),
      ...(o.datepattern !== null ? { datepattern: o.datepattern } : {}),
    });
  } catch (e) {
    flush();
    process.stderr.write(`ERROR: ${(e as Error).message}\n`);
    return 255;
  }
  const dp = o.datepattern ?? def.datepattern;
  if (dp !== null)
    say(`Use      datepattern : ${dp} : ${filter.dateDetector.describe().replace(/^.* : /s, '')}`);

  let source: Iterable<string>;
  if (isFile) {
    say(`Use         log file : ${logArg}`);
    say(`Use         encoding : ${o.encoding}`);
    const size = statSync(logArg).size;
    const tty = process.stderr.isTTY && !out && size > 8 << 20;
    let last = 0;
    source = fileLines(
      logArg,
      o.encoding,
      tty
        ? (b) => {
            const pct = Math.floor((b / size) * 100);
            if (pct !== last) {
              last = pct;
              process.stderr.write(`\r[${'#'.repeat(pct >> 2).padEnd(25)}] ${pct}%`);
            }
          }
        : undefined,
    );
  } else {
    const parts = logArg.split('\n');
    if ((o.maxlines ?? def.maxlines) <= 1 && parts.length === 1) {
      say(`Use      single line : ${shortstr(logArg)}`);
    } else {
      say(`Use      multi line : ${parts.length} line(s)`);
      parts.slice(0, 5).forEach((l, i) => {
        say(`| ${String(i + 1).padStart(2)}: ${shortstr(l)}`);
      });
      if (parts.length > 5) say('| ...');
      say('`-');
    }
    source = parts;
  }
  say('');
  flush();

  const maxShown = 20;
  const st: Stats = {
    tested: 0,
    ignored: 0,
    matched: 0,
    missed: 0,
    matchedLines: [],
    missedLines: [],
    ignoredLines: [],
  };
  const perRegex: { ip: string; time: number; multi: boolean }[][] = filter.failRegexes.map(() => []);
  const fmt = out ? formatter(out) : null;
  const outBuf: string[] = [];
  const t0 = process.hrtime.bigint();
  let lineNo = 0;
  for (const raw of source) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || line.startsWith('#')) continue;
    const r = filter.processLine(line);
    if (fmt) {
      if (r.kind !== 'ignored') for (const f of r.failures) for (const s of fmt(f, lineNo)) outBuf.push(s);
      if (outBuf.length > 4096) {
        process.stdout.write(`${outBuf.join('\n')}\n`);
        outBuf.length = 0;
      }
      continue;
    }
    st.tested++;
    if (r.kind === 'ignored') {
      st.ignored++;
      if (!o.printNoIgnored && (o.printAllIgnored || st.ignored <= maxShown + 1)) st.ignoredLines.push(line);
    } else if (r.kind === 'matched') {
      st.matched++;
      if (o.printAllMatched) st.matchedLines.push(line);
      if (o.verbose > 0) {
        for (const i of r.failHits) {
          for (const f of r.failures)
            perRegex[i]?.push({ ip: f.ip ?? f.id, time: f.time, multi: r.failHits.length > 1 });
        }
      }
    } else {
      st.missed++;
      if (!o.printNoMissed && (o.printAllMissed || st.missed <= maxShown + 1)) st.missedLines.push(line);
    }
  }
  if (fmt) {
    if (outBuf.length > 0) process.stdout.write(`${outBuf.join('\n')}\n`);
    return 0;
  }
  if (process.stderr.isTTY && isFile) process.stderr.write('\r\x1b[K');
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;

  say('');
  say('Results');
  say('=======');
  const pprint = (items: string[], hdr?: string): void => {
    if (items.length === 0) return;
    say(`${hdr ? `|- ${hdr}\n` : ''}|  ${items.join('\n|  ')}\n\`-`);
  };
  if (filter.prefRegex) {
    say('');
    say(`Prefregex: ${filter.prefRegex.hits} total`);
    pprint([filter.prefRegex.regex.source]);
  }
  const printRegexes = (
    title: string,
    list: readonly { text: string; hits: number }[],
    detail?: typeof perRegex,
  ): void => {
    let total = 0;
    const items: string[] = [];
    list.forEach((re, i) => {
      total += re.hits;
      if (re.hits > 0 || o.verbose > 0) items.push(`${String(i + 1).padStart(2)}) [${re.hits}] ${re.text}`);
      if (o.verbose > 0 && detail) {
        for (const d of detail[i] ?? [])
          items.push(`    ${d.ip}  ${ctime(d.time)}${d.multi ? ' (multiple regex matched)' : ''}`);
      }
    });
    say('');
    say(`${title}: ${total} total`);
    pprint(items, ' #) [# of hits] regular expression');
  };
  printRegexes('Failregex', filter.failRegexes, perRegex);
  printRegexes('Ignoreregex', filter.ignoreRegexes);
  say('');
  say('Date template hits:');
  const templates = [...filter.dateDetector.templates];
  // fail2ban moves frequently hit default templates up its list; the report shows that order.
  if (dp === null || /^\{\^LN-BEG\}$|^\{DEFAULT\}$/i.test(dp.trim()))
    templates.sort((a, b) => b.hits - a.hits);
  pprint(
    templates.filter((t) => t.hits > 0 || o.verbose > 0).map((t) => `[${t.hits}] ${t.name}`),
    '[# of hits] date format',
  );
  say('');
  say(`Lines: ${st.tested} lines, ${st.ignored} ignored, ${st.matched} matched, ${st.missed} missed`);
  say(`[processed in ${elapsed.toFixed(2)} sec]`);
  say('');
  const printLines = (
    kind: 'matched' | 'ignored' | 'missed',
    count: number,
    list: string[],
    all: boolean,
  ): void => {
    if (count === 0) return;
    const hdr = `${kind[0]!.toUpperCase()}${kind.slice(1)} line(s):`;
    if (count < maxShown || all)
      pprint(
        list.map((l) => l.trimEnd()),
        hdr,
      );
    else say(`${hdr} too many to print.  Use --print-all-${kind} to print all ${count} lines`);
  };
  if (o.printAllMatched) printLines('matched', st.matched, st.matchedLines, true);
  if (!o.printNoIgnored) printLines('ignored', st.ignored, st.ignoredLines, o.printAllIgnored);
  if (!o.printNoMissed) printLines('missed', st.missed, st.missedLines, o.printAllMissed);
  flush();
  return 0;
}
