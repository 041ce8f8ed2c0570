import { isAscii } from 'node:buffer';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { promises as dns } from 'node:dns';
import { once } from 'node:events';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { emptyFilter, readFilter } from '../config/index.js';
import type { FilterDef } from '../config/types.js';
import { batchClock, fixedClock, type Clock } from '../core/clock.js';
import { RegexTranslateError, UsageError, errorMessage } from '../core/errors.js';
import type { Failure } from '../core/failure.js';
import { canonicalIp, ipFamily, ipv6Groups } from '../core/ip.js';
import { DateDetector, parseTimezone } from '../filter/date/index.js';
import { Filter } from '../filter/filter.js';
import { enableLinearFallback } from '../filter/translate/index.js';
import { mapTagName } from '../filter/groups.js';
import type { FailData } from '../filter/mlfid.js';
import type { LineResult } from '../filter/types.js';
import { pyRepr } from '../control/pyrepr.js';
import { explicitReadTrace, filterReadTrace, infoLine, parseLogLevel } from './regex-log.js';
import { defaultConfDir } from './server-defaults.js';
import { forBom, resolveEncoding, type LineEncoding } from '../sources/file/encoding.js';
import { formatJournalEntry, type JournalEntry } from '../sources/journal/format.js';
import { journalArgsFromBackendOptions, journalMatchArgs } from '../sources/journal/journal-source.js';

/**
 * `logjail regex` / `fail2ban-regex`: test a filter against a log (file or literal line).
 * Report and `-o` formats reproduce fail2ban-regex 1.0.2 byte for byte (except the
 * `[processed in …]` timing); `-o json` and `--now` are ours.
 *
 * Deliberate differences: a LOG argument that looks like a path but does not exist, and a
 * filter name that resolves to no file, are errors (fail2ban tests them as a log line / regex).
 */
interface RegexOptions {
  config: string;
  datepattern: string | null;
  timezone: string | null;
  encoding: string;
  raw: boolean;
  usedns: string | null;
  maxlines: number;
  verbose: number;
  out: string | null;
  printAllMatched: boolean;
  printAllMissed: boolean;
  printAllIgnored: boolean;
  printNoMissed: boolean;
  printNoIgnored: boolean;
  checkAll: boolean;
  now: number | null;
  /** `-l`: fail2ban's level number (CRITICAL = 50 by default). */
  loglevel: number;
  /** `-m`: the journal match for `systemd-journal` (else the filter's journalmatch). */
  journalmatch: string | null;
}

const USAGE = `Usage: fail2ban-regex [OPTIONS] <LOG> <REGEX> [IGNOREREGEX]

LOG          a log file path, a literal log line, or systemd-journal[journalpath=DIR, journalfiles=F, namespace=N]
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
  -l, --log-level LEVEL     accepted for compatibility
  -v, --verbose             more output (repeatable); --verbosity N sets it
  -o, --out FMT             id | ip | msg | row | json | <field> | template with tags; suppresses the report
  --print-all-matched, --print-all-missed, --print-all-ignored, --print-no-missed, --print-no-ignored
  --no-check-all            stop at the first matching regex
  --now EPOCH               fix "now" (year inference) for reproducible replays
  -V                        print the fail2ban version this tool follows
  -h, --help                this help
`;

/** Options taking a value (optparse style: `-L 2`, `-L2`, `--maxlines=2`, `--maxlines 2`). */
const WITH_VALUE: Record<string, string> = {
  '-c': 'config',
  '--config': 'config',
  '-d': 'datepattern',
  '--datepattern': 'datepattern',
  '--timezone': 'timezone',
  '--TZ': 'timezone',
  '-e': 'encoding',
  '--encoding': 'encoding',
  '--usedns': 'usedns',
  '-L': 'maxlines',
  '--maxlines': 'maxlines',
  '-m': 'journalmatch',
  '--journalmatch': 'journalmatch',
  '-l': 'loglevel',
  '--log-level': 'loglevel',
  '--verbosity': 'verbosity',
  '-o': 'out',
  '--out': 'out',
  '--now': 'now',
};
const FLAGS: Record<string, string> = {
  '-r': 'raw',
  '--raw': 'raw',
  '-v': 'verbose',
  '--verbose': 'verbose',
  '--verbose-date': 'ignore',
  '--VD': 'ignore',
  '-D': 'ignore',
  '--debuggex': 'ignore',
  '-t': 'ignore',
  '--log-traceback': 'ignore',
  '--full-traceback': 'ignore',
  '--no-check-all': 'nocheckall',
  '--print-all-matched': 'pam',
  '--print-all-missed': 'pami',
  '--print-all-ignored': 'pai',
  '--print-no-missed': 'pnm',
  '--print-no-ignored': 'pni',
  '-h': 'help',
  '--help': 'help',
  '-V': 'version',
};

type Parsed = { kind: 'run'; o: RegexOptions; positional: string[] } | { kind: 'print'; text: string };

export function parseRegexArgs(argv: readonly string[]): Parsed {
  const o: RegexOptions = {
    config: defaultConfDir(),
    datepattern: null,
    timezone: null,
    encoding: 'UTF-8',
    raw: false,
    usedns: null,
    maxlines: 0,
    verbose: 0,
    out: null,
    printAllMatched: false,
    printAllMissed: false,
    printAllIgnored: false,
    printNoMissed: false,
    printNoIgnored: false,
    checkAll: true,
    now: null,
    loglevel: 50,
    journalmatch: null,
  };
  const positional: string[] = [];
  const setValue = (key: string, flag: string, v: string): void => {
    switch (key) {
      case 'config':
        o.config = v;
        break;
      case 'datepattern':
        o.datepattern = v;
        break;
      case 'timezone':
        o.timezone = v;
        break;
      case 'encoding':
        o.encoding = v;
        break;
      case 'usedns':
        o.usedns = v;
        break;
      case 'maxlines':
        if (!/^\d+$/.test(v)) throw new UsageError(`option ${flag}: invalid integer value: '${v}'`);
        o.maxlines = Number(v);
        break;
      case 'verbosity':
        if (!/^\d+$/.test(v)) throw new UsageError(`option ${flag}: invalid integer value: '${v}'`);
        o.verbose = Number(v);
        break;
      case 'out':
        o.out = v;
        break;
      case 'now':
        if (!/^\d+(\.\d+)?$/.test(v))
          throw new UsageError(`option --now: expected epoch seconds, got '${v}'`);
        o.now = Number(v);
        break;
      case 'journalmatch':
        o.journalmatch = v;
        break;
      case 'loglevel':
        o.loglevel = parseLogLevel(v);
        break;
    }
  };
  const setFlag = (key: string): Parsed | null => {
    switch (key) {
      case 'raw':
        o.raw = true;
        break;
      case 'verbose':
        o.verbose++;
        break;
      case 'nocheckall':
        o.checkAll = false;
        break;
      case 'pam':
        o.printAllMatched = true;
        break;
      case 'pami':
        o.printAllMissed = true;
        break;
      case 'pai':
        o.printAllIgnored = true;
        break;
      case 'pnm':
        o.printNoMissed = true;
        break;
      case 'pni':
        o.printNoIgnored = true;
        break;
      case 'help':
        return { kind: 'print', text: USAGE };
      case 'version':
        return { kind: 'print', text: '1.0.2\n' };
      default:
    }
    return null;
  };
  const args = [...argv];
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === '--') {
      positional.push(...args);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const flag = eq > 0 ? a.slice(0, eq) : a;
      const vk = WITH_VALUE[flag];
      if (vk !== undefined) {
        const v = eq > 0 ? a.slice(eq + 1) : args.shift();
        if (v === undefined) throw new UsageError(`option ${flag} requires an argument`);
        setValue(vk, flag, v);
        continue;
      }
      const fk = FLAGS[flag];
      if (fk === undefined || eq > 0) throw new UsageError(`no such option: ${flag} (see --help)`);
      const p = setFlag(fk);
      if (p) return p;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // a cluster of short options: -vv, -rv, -L2, -oip
      for (let i = 1; i < a.length; i++) {
        const flag = `-${a[i]!}`;
        const vk = WITH_VALUE[flag];
        if (vk !== undefined) {
          const v = i + 1 < a.length ? a.slice(i + 1) : args.shift();
          if (v === undefined) throw new UsageError(`option ${flag} requires an argument`);
          setValue(vk, flag, v);
          break;
        }
        const fk = FLAGS[flag];
        if (fk === undefined) throw new UsageError(`no such option: ${flag} (see --help)`);
        const p = setFlag(fk);
        if (p) return p;
      }
      continue;
    }
    positional.push(a);
  }
  if (o.printNoMissed && o.printAllMissed)
    throw new UsageError('--print-no-missed and --print-all-missed are mutually exclusive.');
  if (o.printNoIgnored && o.printAllIgnored)
    throw new UsageError('--print-no-ignored and --print-all-ignored are mutually exclusive.');
  if (positional.length < 2 || positional.length > 3)
    throw new UsageError(`provide both <LOG> and <REGEX> (got ${positional.length} argument(s); see --help)`);
  return { kind: 'run', o, positional };
}

const shortstr = (s: string, l = 53): string => (s.length > l ? `${s.slice(0, l - 3)}...` : s);

/** Does the argument look like a file path the user meant (rather than a literal log line)? */
const looksLikePath = (s: string): boolean => !/\s/.test(s) && (s.includes('/') || /\.(log|txt|gz)$/.test(s));

// ---------------------------------------------------------------------------------------------
// REGEX argument: filter file, filter name with options, or literal regex (fail2ban's rules)

const FILTER_SPEC = /^\/{0,3}[\w/\-.]+(?:\[.*\])?$/s;

interface ResolvedFilter {
  def: FilterDef;
  /** Options given in brackets, for "Use   filter options : {…}"; undefined for a literal regex. */
  params: Record<string, string> | null | undefined;
}

function loadFilter(
  spec: string,
  o: RegexOptions,
  say: (s: string) => void,
  info: (logger: string, msg: string) => void,
): ResolvedFilter {
  if (!FILTER_SPEC.test(spec)) {
    say(`Use   failregex line : ${shortstr(spec)}`);
    return { def: literalFilter(spec), params: undefined };
  }
  const br = spec.indexOf('[');
  const name = br >= 0 ? spec.slice(0, br) : spec;
  const params = br >= 0 ? paramsOf(spec.slice(br + 1, -1)) : null;
  // fail2ban: a name with an extension in its last 6 characters is tried as is, else +.conf/.local
  const tryNames = name.slice(-6).includes('.') ? [name] : [name, `${name}.conf`, `${name}.local`];
  let basedir = o.config;
  let file: string | null = null;
  for (const n of tryNames) {
    let f = n;
    if (!n.includes('/'))
      f = basename(basedir) === 'filter.d' ? join(basedir, n) : join(basedir, 'filter.d', n);
    else basedir = dirname(n);
    if (existsSync(f) && statSync(f).isFile()) {
      file = f;
      break;
    }
  }
  if (file === null) {
    // fail2ban would try the text as a literal regex and fail with "No failure-id group"
    const hint = name.includes('/filters.d/') ? ' (filters live in filter.d/, not filters.d/)' : '';
    const where = name.includes('/') ? name : join(o.config, 'filter.d', `${name}.conf`);
    throw new UsageError(`filter not found: ${where}${hint}`);
  }
  if (
    basedir === o.config ||
    basename(basedir) === 'filter.d' ||
    (!name.slice(-6).includes('.') && !name.includes('/'))
  ) {
    if (basename(basedir) === 'filter.d') basedir = dirname(basedir);
    say(`Use   failregex filter file : ${basename(name, extname(name))}, basedir: ${basedir}`);
    if (params) say(`Use   filter options : ${pyRepr(params)}`);
    for (const [lg, msg] of filterReadTrace(basedir, basename(name, extname(name)))) info(lg, msg);
  } else {
    say(`Use   failregex file : ${name}`);
    if (params) say(`Use   filter options : ${pyRepr(params)}`);
    for (const [lg, msg] of explicitReadTrace(resolve(name))) info(lg, msg);
  }
  const full = name.includes('/') ? resolve(file) : name;
  const def = readFilter(o.config, br >= 0 ? `${full}${spec.slice(br)}` : full);
  if (o.verbose > 1) {
    const real: Record<string, string> = {};
    for (const k of ['logtype', 'datepattern', ...Object.keys(params ?? {})]) {
      const v = def.options[k];
      if (v !== undefined) real[k] = v;
    }
    say(`Real  filter options : ${pyRepr(real)}`);
  }
  return { def, params };
}

/** fail2ban's extractOptions for `name[k=v, k2="a,b"]`. */
function paramsOf(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([\w\-.?=]+?)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^,]*))\s*(?:,|$)/g)) {
    out[m[1]!] = m[2] ?? m[3] ?? (m[4] ?? '').trim();
  }
  return out;
}

/**
 * A regex given on the command line is reported in fail2ban-regex 1.0.2's words (there is no
 * file:line to name); filter files keep our file:line errors.
 */
function asFail2banRegexError<T>(build: () => T): T {
  try {
    return build();
  } catch (e) {
    const fault = e instanceof RegexTranslateError && e.file === COMMAND_LINE ? e.fault : undefined;
    // fail2ban quotes the text with '%s' (no escaping)
    if (fault?.kind === 'compile')
      throw new UsageError(`Unable to compile regular expression '${fault.pattern}':\n${fault.reason}`);
    if (fault?.kind === 'no-failure-id') throw new UsageError(`No failure-id group in '${fault.regex}'`);
    throw e;
  }
}

const COMMAND_LINE = '<command line>';

function literalFilter(regex: string): FilterDef {
  return { ...emptyFilter('command-line', '<command line>'), failregex: [{ regex, where: { file: '<command line>', line: 0 } }] };
}

// ---------------------------------------------------------------------------------------------
// Log input

/** What the reader knows of the line it just yielded. */
interface LineInfo {
  /** Plain ASCII without "\r": the filter may skip its own scan. */
  ascii: boolean;
  /** The journal's time of each line of the batch (its lines carry no date to parse). */
  times?: (number | undefined)[];
}

/**
 * Reads a file in chunks and yields its complete lines in batches (one generator step per batch,
 * not per line), each line with its "\n" (the subject fail2ban matches: the filter then makes no
 * copy), the last one without when the file lacks it. Sets `info.ascii` for the batch it yields
 * when its lines are plain ASCII without "\r". Memory stays flat for any file size.
 * Pure-ASCII UTF-8 runs (nearly all logs) are decoded line by line as latin1, which is the same
 * text and faster than decode + split; each line is its own small heap string, so nothing pins a
 * chunk. Chunks stay under 1 MB: Node hands out bigger decoded strings as malloc'ed external
 * strings, whose freed memory glibc kept as RSS (+65 MB on a 1M-line log).
 */
function* fileLines(
  path: string,
  encoding: LineEncoding,
  info: LineInfo,
  onProgress?: (bytes: number) => void,
): Generator<string[]> {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(256 << 10);
  let enc = encoding;
  // ASCII bytes are the same text in these: a pure-ASCII chunk may skip the decoder
  const asciiSafe = enc.name === 'utf-8' || enc.name === 'latin1' || enc.name === 'ascii';
  // bytes of an unfinished line that went the decoding way (only whole lines are decoded, as
  // fail2ban decodes line by line); kept as parts so a very long line is not copied per chunk
  const rest: Buffer[] = [];
  let carry = '';
  let carryClean = true;
  let total = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let chunk = buf.subarray(0, n);
      if (total === 0 && enc.sniffBom) {
        // Python's utf-16 takes the byte order from the BOM and drops it
        enc = forBom(enc, chunk);
        if ((chunk[0] === 0xfe && chunk[1] === 0xff) || (chunk[0] === 0xff && chunk[1] === 0xfe)) chunk = chunk.subarray(2);
      }
      total += n;
      if (asciiSafe && rest.length === 0 && isAscii(chunk)) {
        const clean = chunk.indexOf(13) < 0;
        let start = 0;
        let nl = chunk.indexOf(10);
        if (nl < 0) {
          carry += chunk.toString('latin1');
          carryClean &&= clean;
        } else {
          info.ascii = clean && carryClean;
          yield [carry === '' ? chunk.toString('latin1', 0, nl + 1) : carry + chunk.toString('latin1', 0, nl + 1)];
          start = nl + 1;
          const lines: string[] = [];
          while ((nl = chunk.indexOf(10, start)) >= 0) {
            lines.push(chunk.toString('latin1', start, nl + 1));
            start = nl + 1;
          }
          info.ascii = clean;
          yield lines;
          carry = chunk.toString('latin1', start, chunk.length);
          carryClean = clean;
        }
      } else {
        info.ascii = false;
        carryClean = false;
        if (enc.unit === 1 && chunk.indexOf(10) < 0) {
          rest.push(Buffer.from(chunk));
          onProgress?.(total);
          continue;
        }
        const data = rest.length === 0 ? chunk : Buffer.concat([...rest, chunk]);
        rest.length = 0;
        const end = enc.lastNewlineEnd(data, 0, data.length);
        if (end < 0) rest.push(Buffer.from(data));
        else {
          const text = enc.decode(data, 0, end);
          if (end < data.length) rest.push(Buffer.from(data.subarray(end)));
          // no `carry + text`: only the first line of a chunk needs the carried part
          let nl = text.indexOf('\n');
          const lines = [carry === '' ? text.slice(0, nl + 1) : carry + text.slice(0, nl + 1)];
          carry = '';
          let start = nl + 1;
          while ((nl = text.indexOf('\n', start)) >= 0) {
            lines.push(text.slice(start, nl + 1));
            start = nl + 1;
          }
          yield lines;
        }
      }
      onProgress?.(total);
    }
    if (rest.length > 0) {
      const data = Buffer.concat(rest);
      carry += enc.decode(data, 0, data.length);
    }
    info.ascii = false;
    if (carry !== '') yield [carry];
  } finally {
    closeSync(fd);
  }
}

/** The log encoding (-e), a Python codec name or alias, as the daemon's `logencoding` reads it. */
/**
 * The journal's entries (journalctl -o json, from the oldest) as the lines fail2ban's systemd
 * backend builds, in batches; each batch's times go to `info.times`.
 */
async function* journalLines(args: string[], info: LineInfo): AsyncGenerator<string[]> {
  const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const failed = new Promise<Error>((resolve) => child.once('error', resolve));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  let lines: string[] = [];
  let times: (number | undefined)[] = [];
  try {
    for await (const json of createInterface({ input: child.stdout })) {
      if (json === '') continue;
      const { text, time } = formatJournalEntry(JSON.parse(json) as JournalEntry);
      lines.push(text);
      times.push(time);
      if (lines.length >= 1024) {
        info.times = times;
        yield lines;
        [lines, times] = [[], []];
      }
    }
  } finally {
    if (child.exitCode === null) child.kill();
  }
  if (lines.length > 0) {
    info.times = times;
    yield lines;
  }
  const code = await Promise.race([closed, failed]);
  if (code instanceof Error)
    throw new UsageError(`cannot read the systemd journal: ${code.message.includes('ENOENT') ? "'journalctl' not found" : code.message}`);
  if (code !== 0) throw new UsageError(`journalctl failed: ${err.trim().split('\n')[0] ?? `exit ${String(code)}`}`);
}

function logEncoding(name: string): LineEncoding {
  try {
    return resolveEncoding(name);
  } catch {
    throw new UsageError(`option -e/--encoding: unknown encoding '${name}'`);
  }
}

/** `[#####     ]  42%` on stderr; only for big files and an interactive terminal. */
function progressBar(size: number): ((bytes: number) => void) | undefined {
  if (!process.stderr.isTTY || size < 8 << 20) return undefined;
  let last = -1;
  return (b) => {
    const pct = Math.floor((b / size) * 100);
    if (pct === last) return;
    last = pct;
    process.stderr.write(`\r[${'#'.repeat(pct >> 2).padEnd(25)}] ${String(pct).padStart(3)}%`);
    if (b >= size) process.stderr.write('\r\x1b[K');
  };
}

// ---------------------------------------------------------------------------------------------
// Time formatting

function isoTime(t: number): string {
  const d = new Date(t * 1000);
  const off = -d.getTimezoneOffset();
  const p = (n: number, w = 2): string => String(Math.trunc(Math.abs(n))).padStart(w, '0');
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${sign}${p(off / 60)}:${p(off % 60)}`;
}

/** time.strftime("%a %b %d %H:%M:%S %Y", time.localtime(t)) */
function ctime(t: number): string {
  const d = new Date(t * 1000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const mons = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getDay()]!} ${mons[d.getMonth()]!} ${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

/**
 * Python repr of a ticket time: a float (`1765538351.0`) from local-time dates, an int where
 * fail2ban converts with a zone (the date's own, logtimezone or --timezone) or from TAI64N.
 */
const timeRepr = (t: number, int = false): string => (Number.isInteger(t) && !int ? `${t}.0` : String(t));

// ---------------------------------------------------------------------------------------------
// Failure entries: fail2ban's `found` list for one line

/** One element of fail2ban's per-line result list. */
interface Entry {
  regex: number;
  /** The failure id (an address after DNS resolution); null for a pending MLFID hit. */
  id: string | null;
  time: number;
  nofail: boolean;
  failure: Failure | null;
  /** `-o row`: key order of the group dict. */
  keys?: readonly string[];
  /** The time is an int in fail2ban (see timeRepr). */
  intTime?: boolean;
  /** The line had no date: `time` is "now", which only `-o row` shows as fail2ban's None. */
  noDate?: true;
  /**
   * First-match mode (--no-check-all): a no-failure hit that only updated its MLFID session.
   * fail2ban returns before listing it, so it is no hit and does not make the line ignored; it
   * is kept for the `-o row` key order of the session.
   */
  sessionOnly?: true;
}

type Resolver = (host: string) => Promise<string[]>;

/** getaddrinfo for IPv4 then IPv6, as fail2ban's DNSUtils.dnsToIp; cached per name. */
function dnsResolver(): Resolver {
  const cache = new Map<string, Promise<string[]>>();
  const family = async (host: string, f: 4 | 6): Promise<string[]> => {
    try {
      return (await dns.lookup(host, { all: true, family: f })).map(
        (a) => canonicalIp(a.address) ?? a.address,
      );
    } catch {
      return [];
    }
  };
  return (host) => {
    let p = cache.get(host);
    if (!p) {
      p = Promise.all([family(host, 4), family(host, 6)]).then(([a, b]) => [...new Set([...a, ...b])]);
      cache.set(host, p);
    }
    return p;
  };
}

function needsDns(r: LineResult): boolean {
  for (const f of r.failures) if (f.resolveDns) return true;
  return false;
}

const NO_ENTRIES: Entry[] = [];

/** Expands the line result into fail2ban's entry list (regex order); DNS names become one entry per address. */
function entriesOf(r: LineResult, resolved: Map<string, string[]> | null, now: number): Entry[] {
  const out: Entry[] = [];
  let fi = 0;
  let ni = 0;
  for (const i of r.failHits) {
    if (r.nofailHits?.[ni] === i) {
      out.push({ regex: i, id: r.nofailIds?.[ni] ?? null, time: r.time ?? now, nofail: true, failure: null });
      ni++;
      continue;
    }
    if (r.failureRegex?.[fi] === i) {
      const f = r.failures[fi++]!;
      const time = Number.isFinite(f.time) ? f.time : now;
      if (f.resolveDns) {
        for (const ip of resolved?.get(f.id) ?? [])
          out.push({ regex: i, id: ip, time, nofail: false, failure: { ...f, id: ip, ip } });
      } else out.push({ regex: i, id: f.id, time, nofail: false, failure: f });
      continue;
    }
    out.push({ regex: i, id: null, time: r.time ?? now, nofail: false, failure: null });
  }
  // first-match mode: a no-failure hit that only updated its MLFID session
  for (; r.nofailHits && ni < r.nofailHits.length; ni++) {
    out.push({ regex: r.nofailHits[ni]!, id: null, time: r.time ?? now, nofail: true, failure: null, sessionOnly: true });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// -o formats

/** Python repr of a group dict as fail2ban prints it in `-o row`, keys in `order`. */
function rowData(f: Failure, order: readonly string[]): string {
  // one row per failure (300k on a 1M-line sshd log): a plain string and a short key list
  const seen: string[] = [];
  let out = '';
  const add = (k: string): void => {
    if (seen.includes(k)) return;
    seen.push(k);
    const v =
      k === 'users'
        ? f.users
          ? pySet(f.users)
          : 'None'
        : k === 'ip' && f.ip !== null
          ? pyRepr(f.ip)
          : pyRepr(f.fields[k] ?? null);
    out += `${out === '' ? '' : ', '}${pyRepr(k)}: ${v}`;
  };
  for (const k of order) add(k);
  for (const k in f.fields) add(k);
  if (f.ip !== null && f.ip !== f.id) add('ip');
  return `{${out}}`;
}

/** Python's repr of a set of strings; element order is Python's hash order, not reproducible, so ours is insertion order. */
const pySet = (items: readonly string[]): string => `{${items.map((u) => pyRepr(u)).join(', ')}}`;

/**
 * Key order of the group dicts fail2ban prints with `-o row`. A Python dict keeps insertion
 * order: prefregex groups first, then the failregex's, then alt/tuple targets; MLFID sessions
 * keep the dict of their first line, add `users`, and append keys later lines bring.
 */
class RowKeys {
  private readonly pref: string[];
  private readonly plans = new Map<number, KeyPlan>();
  /** Key order per engine session object: it lives and ends with the session (eviction included). */
  private readonly sessions = new WeakMap<FailData, string[]>();
  private readonly altOnly = new Set<string>();

  constructor(private readonly filter: Filter) {
    this.pref = filter.prefRegex ? filter.prefRegex.regex.groupNames.filter((n) => n !== 'content') : [];
  }

  private plan(i: number): KeyPlan {
    let plan = this.plans.get(i);
    if (!plan) {
      const own = this.filter.failRegexes[i]?.regex.groupNames ?? [];
      const extra: string[] = [];
      for (const n of [...own].sort()) {
        const m = /^(alt_|tuple_)(.*?)(?:_\d+)?$/.exec(n);
        if (!m) continue;
        const to = mapTagName(m[2]!);
        extra.push(to);
        // an alt_ value lands in its target only when it is not empty
        if (m[1] === 'alt_' && !own.includes(to)) this.altOnly.add(to);
      }
      const names = [...new Set([...this.pref, ...own, ...extra])];
      plan = { names, forget: names.includes('mlfforget'), altSeen: -1, alt: false };
      this.plans.set(i, plan);
    }
    // whether some key is alt-only, asked again only when another regex added alt-only keys
    if (plan.altSeen !== this.altOnly.size) {
      plan.altSeen = this.altOnly.size;
      plan.alt = plan.names.some((k) => this.altOnly.has(k));
    }
    return plan;
  }

  /**
   * Called for every entry of every line in order; returns the key order of failure entries
   * (read only: it may be shared with later entries).
   */
  entry(e: Entry, session: FailData | undefined): readonly string[] {
    const f = e.failure;
    const plan = this.plan(e.regex);
    const base = plan.alt ? plan.names.filter((k) => !this.altOnly.has(k) || f?.fields[k] !== undefined) : plan.names;
    if (session === undefined) return base;
    const forget = plan.forget && base.includes('mlfforget');
    const keys = forget ? base.filter((k) => k !== 'mlfforget') : base;
    const user = f?.fields.user;
    let result: string[];
    const order = this.sessions.get(session);
    if (order) {
      if (user && !order.includes('users')) order.push('users');
      for (const k of SESSION_DROPPED) {
        const at = order.indexOf(k);
        if (at >= 0) order.splice(at, 1);
      }
      // only keys with a value are merged into the session
      if (f) for (const k of keys) if (!order.includes(k) && f.fields[k] !== undefined) order.push(k);
      if (forget) this.sessions.delete(session);
      result = order;
    } else {
      // the session's own copy: later lines append to it
      result = user ? [...keys, 'users'] : [...keys];
      if (!forget) this.sessions.set(session, result);
    }
    if (f && (f.users?.length ?? 0) > 1) return result.filter((k) => !SESSION_DROPPED.includes(k));
    return result;
  }
}

/** A failregex's `-o row` keys: prefregex groups, its own, alt/tuple targets. */
interface KeyPlan {
  names: string[];
  /** It has `<F-MLFFORGET>`. */
  forget: boolean;
  /** altOnly's size when `alt` was worked out. */
  altSeen: number;
  /** Some of its keys are alt-only (printed only with a value). */
  alt: boolean;
}

/** Keys a session drops when a later line merges into it (and a multi-user session never prints). */
const SESSION_DROPPED: readonly string[] = ['nofail', 'mlfgained'];

/** `<F-NAME>` tags of a template: upper-case only, like fail2ban. */
const FCUSTAG = /<F-([A-Z0-9_-]+)>/g;
const TAG = /<([^ <>]+)>/g;

function ptr(ip: string): string {
  const fam = ipFamily(ip);
  if (fam === 'inet4') return `${ip.split('.').reverse().join('.')}.`;
  if (fam === 'inet6') {
    const hex = (ipv6Groups(ip) ?? []).map((g) => g.toString(16).padStart(4, '0')).join('');
    return `${Array.from(hex).reverse().join('.')}.`;
  }
  return '';
}

/** Writes the `-o` output of one line's failures (fail2ban's _prepaireOutput). */
function outputFormatter(fmt: string): (entries: Entry[], lineNo: number, emit: (s: string) => void) => void {
  const each =
    (fn: (e: Entry & { failure: Failure; id: string }, emit: (s: string) => void, lineNo: number) => void) =>
    (entries: Entry[], lineNo: number, emit: (s: string) => void) => {
      for (const e of entries)
        if (e.failure && e.id !== null) fn(e as Entry & { failure: Failure; id: string }, emit, lineNo);
    };
  const ipOf = (f: Failure): string => (f.ip !== null && f.ip !== f.id ? f.ip : f.id);
  switch (fmt) {
    case 'id':
    case 'fid':
      return each((e, emit) => {
        emit(e.id);
      });
    case 'ip':
      return each((e, emit) => {
        emit(ipOf(e.failure));
      });
    case 'msg':
      return each((e, emit) => {
        e.failure.matches.forEach(emit);
      });
    case 'row':
      return each((e, emit) => {
        emit(`[${pyRepr(e.id)},\t${e.noDate ? 'None' : timeRepr(e.time, e.intTime)},\t${rowData(e.failure, e.keys ?? [])}],`);
      });
    case 'json':
      return each((e, emit, lineNo) => {
        emit(
          JSON.stringify({
            line: lineNo,
            id: e.id,
            ip: e.failure.ip,
            time: e.time,
            iso: isoTime(e.time),
            matches: e.failure.matches,
            fields: e.failure.fields,
          }),
        );
      });
  }
  if (!fmt.includes('<')) {
    // a single group value; Python prints None for a group that did not take part
    return each((e, emit) => {
      const f = e.failure;
      const v =
        fmt === 'ip'
          ? ipOf(f)
          : fmt === 'users' && f.users
            ? `{${f.users.map((u) => pyRepr(u)).join(', ')}}`
            : f.fields[fmt];
      emit(v ?? 'None');
    });
  }
  return (entries, _lineNo, emit) => {
    const wrapped: [Failure, string][] = [];
    // once a multi-line <msg> shows up, the rest of the line's failures are printed per match line
    const state = { wrap: false };
    for (const e of entries) {
      if (!e.failure || e.id === null) continue;
      const f = e.failure;
      const ip = ipOf(f);
      const tag = (name: string): string | undefined => {
        switch (name) {
          case 'ip':
            return ip;
          case 'fid':
            return e.id!;
          case 'family':
            return ipFamily(ip) ?? 'None';
          case 'ip-rev':
            return ptr(ip);
          case 'failures':
          case 'restored':
            return '0';
          case 'time':
            return timeRepr(e.time, e.intTime);
          case 'matches':
            return f.matches.join('\n');
          case 'msg':
            if (!state.wrap && f.matches.length <= 1) return f.matches.join('\n');
            state.wrap = true;
            return '\x00msg\x00';
          case 'br':
            return '\n';
          case 'sp':
            return ' ';
          default:
            return undefined;
        }
      };
      let v = fmt.replace(TAG, (m, n: string) => {
        const x = tag(n);
        return x === undefined ? m : n === 'msg' ? x : x.replaceAll('\x00', '\\x00');
      });
      if (v.includes('<')) {
        v = v.replace(FCUSTAG, (_m, n: string) => {
          const k = mapTagName(n);
          const x = k === 'failures' ? '0' : k === 'matches' ? pyRepr(f.matches) : f.fields[k];
          return x === undefined ? '' : x.replaceAll('\x00', '\\x00');
        });
      }
      if (state.wrap) wrapped.push([f, v]);
      else emit(v);
    }
    for (const [f, v] of wrapped) for (const m of f.matches) emit(v.replace('\x00msg\x00', m));
  };
}

// ---------------------------------------------------------------------------------------------
// The tool

export async function regexMain(argv: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseRegexArgs(argv);
  } catch (e) {
    process.stderr.write(`ERROR: ${errorMessage(e)}\n`);
    return 255;
  }
  if (parsed.kind === 'print') {
    process.stdout.write(parsed.text);
    return 0;
  }
  const out = new Output();
  try {
    return await runRegex(parsed.o, parsed.positional, out);
  } catch (e) {
    out.flush();
    process.stderr.write(`ERROR: ${errorMessage(e)}\n`);
    if (process.env.LOGJAIL_DEBUG) console.error(e);
    return 255;
  } finally {
    out.flush();
  }
}

/**
 * Buffered stdout: one write per ~64 KiB instead of one per line. A pipe to a slower reader
 * (`-o json … | jq`) queues what it cannot take in memory, so the reading loop waits for it to
 * drain (measured before: 1M sshd lines with `-o row` into a pipe peaked at 278 MB).
 */
class Output {
  private buf: string[] = [];
  private size = 0;
  line(s: string): void {
    this.buf.push(s);
    this.size += s.length + 1;
    if (this.size > 65536) this.flush();
  }
  flush(): void {
    if (this.buf.length === 0) return;
    process.stdout.write(`${this.buf.join('\n')}\n`);
    this.buf = [];
    this.size = 0;
  }
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

async function runRegex(o: RegexOptions, positional: string[], out: Output): Promise<number> {
  const [logArg, regexArg, ignoreArg] = positional as [string, string, string | undefined];
  const fmt = o.out;
  const say = (s: string): void => {
    if (!fmt) out.line(s);
  };
  // fail2ban's log lines go to stdout, also with -o
  const info = (logger: string, msg: string): void => {
    if (o.loglevel <= 20) out.line(infoLine(logger, msg));
  };
  const announceDates = (dd: DateDetector): void => {
    for (const [p, name] of dd.announced) info('datedetector', `  date pattern \`${pyRepr(p)}\`: \`${name}\``);
  };
  enableLinearFallback();

  // The log argument: an existing file, or a literal line. Something that looks like a path but
  // does not exist is an error (the tutorial's own `/vaar/log/maillog` typo) rather than a "line".
  const stat = existsSync(logArg) ? statSync(logArg) : null;
  // fail2ban would test a directory name as a log line; no one means that
  if (stat?.isDirectory()) throw new UsageError(`log path is a directory, not a file: ${logArg}`);
  const isFile = stat?.isFile() ?? false;
  const journal = !isFile && /^systemd-journal(\[.*\])?$/s.test(logArg);
  if (!isFile && !journal && looksLikePath(logArg)) throw new UsageError(`log file not found: ${logArg}`);
  // a literal line is not decoded: -e matters for files only, as in fail2ban
  const encoding = isFile ? logEncoding(o.encoding) : null;

  say('');
  say('Running tests');
  say('=============');
  say('');
  // command-line -L and -d are announced first and win over the filter's own values
  if (o.maxlines > 0) {
    info('filter', `  maxLines: ${o.maxlines}`);
    say(`Use         maxlines : ${o.maxlines}`);
  }
  // fail2ban checks the zone here, before -d and the filter are announced
  if (o.timezone !== null) parseTimezone(o.timezone);
  const ticking = o.now === null ? batchClock() : null;
  const clock: Clock = ticking ?? fixedClock(o.now ?? 0);
  const usedns = o.raw ? (o.usedns?.toLowerCase() === 'no' ? 'no' : 'raw') : (o.usedns ?? 'warn');
  const probe = (def: FilterDef, datepattern: string | null | undefined): Filter =>
    new Filter(def, {
      clock,
      mode: 'test',
      checkAll: o.checkAll && !fmt,
      // the report shows prefregex groups only with -v; otherwise it counts its hits
      prefGroups: o.verbose > 0,
      // only the output formats print a failure's lines and fields
      details: fmt !== null,
      usedns,
      logtimezone: o.timezone,
      ...(o.maxlines > 0 ? { maxlines: o.maxlines } : {}),
      ...(datepattern !== undefined ? { datepattern } : {}),
    });
  const describeDates = (datepattern: string): string => {
    const dd = new DateDetector({ datepattern, logtimezone: o.timezone, clock });
    announceDates(dd);
    return dd.describe();
  };
  if (o.datepattern !== null) say(`Use      datepattern : ${describeDates(o.datepattern)}`);

  const loaded = loadFilter(regexArg, o, say, info);
  let def = loaded.def;
  // fail2ban compiles a literal failregex as soon as it is announced
  if (loaded.params === undefined) asFail2banRegexError(() => probe(def, o.datepattern ?? undefined));
  if (o.maxlines === 0 && def.options.maxlines !== undefined) {
    info('filter', `  maxLines: ${def.maxlines}`);
    say(`Use         maxlines : ${def.maxlines}`);
  }
  if (o.datepattern === null && def.datepattern !== null)
    say(`Use      datepattern : ${describeDates(def.datepattern)}`);
  if (ignoreArg !== undefined) {
    say(`Use ignoreregex line : ${shortstr(ignoreArg)}`);
    def = { ...def, ignoreregex: [{ regex: ignoreArg, where: { file: '<command line>', line: 0 } }] };
  }
  const filter = asFail2banRegexError(() => probe(def, o.datepattern ?? undefined));

  // batches of lines (a file: per chunk), sharing lineInfo.ascii
  let source: Iterable<string[]> | AsyncIterable<string[]>;
  const lineInfo: LineInfo = { ascii: false };
  if (journal) {
    // the journal's own time stamps the lines (as fail2ban-regex sets no date pattern)
    say('Use         systemd journal');
    say(`Use         encoding : ${o.encoding}`);
    const match = o.journalmatch !== null ? [o.journalmatch] : def.journalmatch;
    if (match.length > 0) say(`Use    journal match : ${match.join(' ')}`);
    const args = [
      '-o', 'json', '--no-pager',
      ...journalArgsFromBackendOptions(paramsOf(/^systemd-journal\[(.*)\]$/s.exec(logArg)?.[1] ?? '')),
      ...journalMatchArgs(match),
    ];
    source = journalLines(args, lineInfo);
  } else if (encoding !== null) {
    say(`Use         log file : ${logArg}`);
    say(`Use         encoding : ${o.encoding}`);
    source = fileLines(logArg, encoding, lineInfo, progressBar(statSync(logArg).size));
  } else if (filter.maxlines <= 1 && !logArg.includes('\n')) {
    say(`Use      single line : ${shortstr(logArg)}`);
    source = [[logArg]];
  } else {
    const parts = logArg.split('\n');
    say(`Use      multi line : ${parts.length} line(s)`);
    for (let i = 0; i < parts.length; i++) {
      if (i >= 5) {
        say('| ...');
        break;
      }
      say(
        `| ${String(i + 1)
          .slice(0, 2)
          .padStart(2)}: ${shortstr(parts[i]!)}`,
      );
    }
    say('`-');
    source = [parts];
  }
  say('');
  out.flush();

  const maxShown = o.maxlines > 0 ? o.maxlines : 20;
  const st: Stats = {
    tested: 0,
    ignored: 0,
    matched: 0,
    missed: 0,
    matchedLines: [],
    missedLines: [],
    ignoredLines: [],
  };
  const hits = filter.failRegexes.map(() => 0);
  const perRegex: { id: string; time: number; multi: boolean }[][] = filter.failRegexes.map(() => []);
  const rowKeys = fmt === 'row' ? new RowKeys(filter) : null;
  const emit = fmt ? outputFormatter(fmt) : null;
  const writeLine = (s: string): void => {
    out.line(s);
  };
  const resolveHost = usedns === 'yes' || usedns === 'warn' ? dnsResolver() : null;
  const multi = filter.maxlines > 1;
  const prefGroups: string[] = [];
  let prefHits = 0;
  let prefMatched = false;
  let lastPref: Record<string, string | undefined> | undefined;
  const t0 = process.hrtime.bigint();
  let lineNo = 0;
  for await (const batch of source) {
    if (process.stdout.writableNeedDrain) await once(process.stdout, 'drain');
    ticking?.tick();
    for (let k = 0; k < batch.length; k++) {
      const raw = batch[k]!;
      batch[k] = ''; // let each line go once read: a chunk's lines then die young
      lineNo++;
      const last = raw.charCodeAt(raw.length - 1);
      let line = raw;
      let withNewline: string | undefined;
      if (last === 10 && raw.charCodeAt(raw.length - 2) !== 13) {
        withNewline = raw;
        line = raw.slice(0, -1);
      } else if (last === 13 || last === 10) line = raw.replace(/[\r\n]+$/, '');
      if (line === '' || line.startsWith('#')) continue;
      const before = multi ? filter.bufferedLines.slice() : null;
      const r = filter.processLine(line, lineInfo.times?.[k], withNewline, lineInfo.ascii);
      let resolved: Map<string, string[]> | null = null;
      if (resolveHost && needsDns(r)) {
        resolved = new Map();
        for (const f of r.failures)
          if (f.resolveDns && !resolved.has(f.id)) resolved.set(f.id, await resolveHost(f.id));
      }
      // most lines hit nothing: no entry lists for them
      const entries = r.failHits.length === 0 && r.nofailHits === undefined ? NO_ENTRIES : entriesOf(r, resolved, clock.now());
      if (entries.length > 0) {
        if (rowKeys)
          for (const e of entries) e.keys = rowKeys.entry(e, r.session);
        // only the -o formats print times
        if (emit && (r.intTime || r.time === null))
          for (const e of entries) {
            if (r.intTime) e.intTime = true;
            if (r.time === null) e.noDate = true;
          }
      }
      const ret: Entry[] = entries.length > 0 ? [] : NO_ENTRIES;
      let isIgnored = r.ignoreHits.length > 0;
      for (const e of entries) {
        if (e.sessionOnly) continue;
        if (!fmt) {
          hits[e.regex] = (hits[e.regex] ?? 0) + 1;
          // fail2ban flags an entry once two others were already kept for this line; the list is
          // only printed with -v, and kept otherwise it would grow with the log (one entry per hit)
          if (o.verbose > 0)
            perRegex[e.regex]?.push({ id: e.id ?? 'None', time: e.time, multi: ret.length > 1 });
        }
        if (e.nofail) isIgnored = true;
        else ret.push(e);
      }
      if (emit) {
        if (ret.length > 0 && !isIgnored) emit(ret, lineNo, writeLine);
        continue;
      }
      // prefregex: fail2ban reads the state of its last search, which an early ignoreregex hit skips
      if (r.prefMatched) {
        prefMatched = true;
        lastPref = r.prefGroups;
      } else if (!(r.ignoreHits.length > 0 && r.failHits.length === 0 && isEarlyIgnore(filter)))
        prefMatched = false;
      if (filter.prefRegex && prefMatched) {
        prefHits++;
        if (o.verbose > 0 && lastPref) {
          if (prefGroups.length < maxShown) prefGroups.push(pyRepr(lastPref));
          else if (prefGroups.length === maxShown) prefGroups.push('...');
        }
      }
      if (before) {
        // multi-line: earlier lines consumed by this line's match turn from missed into matched
        const after = filter.bufferedLines;
        const full = before.length >= filter.maxlines;
        for (const b of before.slice(full ? 1 : 0)) {
          if (after.some((a) => a.text === b.text && a.orig === b.orig)) continue;
          const at = st.missedLines.indexOf(b.orig);
          if (at >= 0) st.missedLines.splice(at, 1);
          if (o.printAllMatched) st.matchedLines.push(b.orig);
          st.matched++;
          st.missed--;
        }
      }
      if (isIgnored) {
        st.ignored++;
        if (!o.printNoIgnored && (o.printAllIgnored || st.ignored <= maxShown + 1)) st.ignoredLines.push(line);
      } else if (ret.length > 0) {
        st.matched++;
        if (o.printAllMatched) st.matchedLines.push(line);
      } else {
        st.missed++;
        if (!o.printNoMissed && (o.printAllMissed || st.missed <= maxShown + 1)) st.missedLines.push(line);
      }
      st.tested++;
    }
  }
  if (fmt) return 0;
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
    say(`Prefregex: ${prefHits} total`);
    pprint([filter.prefRegex.regex.source, ...prefGroups.map((g) => `    ${g}`)]);
  }
  const printRegexes = (
    title: string,
    list: readonly { text: string }[],
    count: (i: number) => number,
    detail?: typeof perRegex,
  ): void => {
    let total = 0;
    const items: string[] = [];
    list.forEach((re, i) => {
      const n = count(i);
      total += n;
      if (n > 0 || o.verbose > 0) items.push(`${String(i + 1).padStart(2)}) [${n}] ${re.text}`);
      if (o.verbose > 0 && detail) {
        for (const d of detail[i] ?? [])
          items.push(`    ${d.id}  ${ctime(d.time)}${d.multi ? ' (multiple regex matched)' : ''}`);
      }
    });
    say('');
    say(`${title}: ${total} total`);
    pprint(items, ' #) [# of hits] regular expression');
  };
  printRegexes('Failregex', filter.failRegexes, (i) => hits[i] ?? 0, perRegex);
  printRegexes('Ignoreregex', filter.ignoreRegexes, (i) => filter.ignoreRegexes[i]?.hits ?? 0);
  say('');
  say('Date template hits:');
  pprint(
    filter.dateDetector.templates
      .filter((t) => t.hits > 0 || o.verbose > 0)
      .map((t) => `[${t.hits}] ${t.name}`),
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
  return 0;
}

/** fail2ban tests few ignoreregexes before the failregexes (and before the prefregex). */
const isEarlyIgnore = (f: Filter): boolean =>
  f.ignoreRegexes.length > 0 && f.ignoreRegexes.length < f.failRegexes.length - 2;
