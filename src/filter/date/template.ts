/**
 * Date templates: strptime-like patterns, Unix epoch and TAI64N. A template finds its date
 * in a line (whole-match span for caching, date span for cutting) and converts it.
 */
import { DateFields, groupPlan, type GroupPlan, type TimeConverter } from './convert.js';
import { translateDirectives, type YearSpec } from './directives.js';
import { NO_MATCH, parseIso, parseSyslog, syslogDecidedBy, type FastOut } from './fast.js';
import { DateRegex, type DateRegexOptions, type WordBegin } from './regex.js';

export const LN_BEG = '{^LN-BEG}';

/** The two default patterns parsed by hand when anchored at line start. */
export const SYSLOG_PATTERN = '{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?';
export const ISO_PATTERN = '{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?';

const regexCache = new Map<string, DateRegex>();

/** Compiled regexes are shared: results are read right after each search (single thread). */
function cachedRegex(py: string, opts: DateRegexOptions): DateRegex {
  const key = `${String(opts.ignoreCase)}|${String(opts.wordBegin)}|${String(opts.wordEnd)}|${py}`;
  let rx = regexCache.get(key);
  if (rx === undefined) {
    rx = new DateRegex(py, opts);
    regexCache.set(key, rx);
  }
  return rx;
}

export abstract class Template {
  abstract readonly name: string;
  /** Lines this template won (what fail2ban-regex reports). */
  hits = 0;
  /** Regex matches, won or not. */
  rawHits = 0;
  /** fail2ban weight: 100 for the line-start copies of the defaults. */
  weight = 1;
  lastUsed = 0;
  distance = 0x7fffffff;
  start = 0;
  end = 0;
  dateStart = 0;
  dateEnd = 0;
  protected last: RegExpExecArray | null = null;

  protected constructor(
    protected readonly rx: DateRegex,
    /** The datepattern text it was built from (shown by describe()). */
    readonly pattern: string,
  ) {}

  /** Flagged line-begin: kept by a `{^LN-BEG}` datepattern. */
  get lineBegin(): boolean {
    return this.rx.lineBegin;
  }

  /** Anchored at line start or end: a match there is always accepted. */
  get lineAnchored(): boolean {
    return this.rx.lineBegin || this.rx.lineEnd;
  }

  search(line: string): boolean {
    return this.take(this.rx.search(line));
  }

  matchAt(line: string, pos: number, endpos: number): boolean {
    return this.take(this.rx.matchAt(line, pos, endpos));
  }

  protected take(ok: boolean): boolean {
    if (!ok) return false;
    const rx = this.rx;
    this.start = rx.start;
    this.end = rx.end;
    this.dateStart = rx.dateStart;
    this.dateEnd = rx.dateEnd;
    this.last = rx.last;
    this.rawHits++;
    return true;
  }

  /** Epoch seconds of the last match; NaN when empty or not a valid date. */
  abstract time(line: string, conv: TimeConverter, now: number): number;

  /**
   * Whether fail2ban holds the time just computed by time() as an int rather than a float (only
   * the regex tool's `-o row` shows it): dates converted with a zone are, epoch values are not.
   */
  abstract intTime(conv: TimeConverter): boolean;

  /**
   * How many leading characters of `line` decided the last successful search, when every other
   * line starting with them finds the same date (-1: unknown). Lets the detector reuse the result
   * for the run of lines that share a timestamp.
   */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the base template never knows
  memoSpan(_line: string): number {
    return -1;
  }
}

export class PatternTemplate extends Template {
  readonly name: string;
  private readonly fast: typeof parseSyslog | null;
  private readonly decades: ReadonlySet<number>;
  private readonly fields = new DateFields();
  private readonly out: FastOut = { dateStart: 0, dateEnd: 0 };
  private readonly plan: GroupPlan;
  private fastHit = false;

  constructor(pattern: string, years: YearSpec) {
    let p = pattern;
    let wordBegin: WordBegin = true;
    let wordEnd = true;
    if (p.startsWith('{UNB}')) {
      p = p.slice(5);
      wordBegin = wordEnd = false;
    }
    if (wordBegin && p.startsWith(LN_BEG)) {
      p = p.slice(LN_BEG.length);
      wordBegin = 'start';
    }
    let tr;
    try {
      tr = translateDirectives(p, years);
    } catch (e) {
      throw new Error(`(may be an invalid format or unescaped percent char): ${(e as Error).message}`);
    }
    const rx = cachedRegex(tr.regex, { ignoreCase: tr.ignoreCase, wordBegin, wordEnd });
    super(rx, pattern);
    this.name = rx.boundBegin && wordBegin === 'start' && !tr.name.startsWith(LN_BEG) ? LN_BEG + tr.name : tr.name;
    this.fast = pattern === SYSLOG_PATTERN ? parseSyslog : pattern === ISO_PATTERN ? parseIso : null;
    this.decades = years.decades;
    this.plan = groupPlan(rx.index);
  }

  override search(line: string): boolean {
    if (this.fast !== null) {
      const r = this.fast(line, this.decades, this.fields, this.out);
      if (r >= 0) {
        this.fastHit = true;
        this.start = 0;
        this.end = r;
        this.dateStart = this.out.dateStart;
        this.dateEnd = this.out.dateEnd;
        this.rawHits++;
        return true;
      }
      if (r === NO_MATCH) return false;
    }
    return super.search(line);
  }

  override memoSpan(line: string): number {
    if (!this.fastHit || this.fast !== parseSyslog) return -1;
    return syslogDecidedBy(line, this.end);
  }

  protected override take(ok: boolean): boolean {
    this.fastHit = false;
    return super.take(ok);
  }

  time(_line: string, conv: TimeConverter, now: number): number {
    if (this.dateEnd === this.dateStart) return NaN;
    if (this.fastHit) return conv.toEpoch(this.fields, now);
    return this.last === null ? NaN : conv.toEpoch(this.fields.fromMatch(this.last, this.plan), now);
  }

  intTime(conv: TimeConverter): boolean {
    return conv.zoned;
  }
}

const EPOCH_RE = '\\d{10,11}\\b(?:\\.\\d{3,6})?';
const LONG_EPOCH_RE = '\\d{10,11}(?:\\d{3}(?:\\.\\d{1,6}|\\d{3})?)?';
export const EMBEDDED_EPOCH = /(?<!\\)\{L?EPOCH\}/gi;

export class EpochTemplate extends Template {
  readonly name: string;
  private readonly long: boolean;
  private readonly valueGroup: number;

  /** `pattern` = a custom pattern with `{EPOCH}`/`{LEPOCH}` inside. */
  constructor(opts: { lineBeginOnly?: boolean; long?: boolean; pattern?: string }) {
    const long = opts.long === true;
    const value = `(?<__epoch>${long ? LONG_EPOCH_RE : EPOCH_RE})`;
    const base = long ? 'LongEpoch' : 'Epoch';
    let rx: DateRegex;
    let name: string;
    if (opts.pattern !== undefined) {
      rx = cachedRegex(`(${opts.pattern.replace(EMBEDDED_EPOCH, value)})`, {});
      name = opts.pattern;
    } else if (opts.lineBeginOnly !== true) {
      // at line start, right after a leading `[`, or in SELinux `audit(…:`
      rx = cachedRegex(`((?:^|(?<=^\\[)|(?<=\\baudit\\())${value})`, { wordBegin: false });
      name = base;
    } else {
      rx = cachedRegex(`(${value})`, { wordBegin: 'start' });
      name = LN_BEG + base;
    }
    super(rx, opts.pattern ?? name);
    this.name = name;
    this.long = long;
    this.valueGroup = rx.index.get('__epoch') ?? -1;
  }

  time(): number {
    const v = this.last?.[this.valueGroup];
    if (v === undefined) return NaN;
    const n = Number(v);
    if (this.long && v.length >= 13) return v.length >= 16 && !v.includes('.') ? n / 1e6 : n / 1e3;
    return n;
  }

  intTime(): boolean {
    return false;
  }
}

export class Tai64nTemplate extends Template {
  readonly name: string;

  constructor(lineStart: boolean) {
    const rx = cachedRegex('@[0-9a-f]{24}', { wordBegin: lineStart ? 'start' : false });
    const name = lineStart ? LN_BEG + 'TAI64N' : 'TAI64N';
    super(rx, name);
    this.name = name;
  }

  time(line: string): number {
    // seconds = hex digits 2..16 of the label (the leading 4 of 2^62 dropped)
    return parseInt(line.slice(this.dateStart + 2, this.dateStart + 17), 16);
  }

  intTime(): boolean {
    return true;
  }
}
