/**
 * The filter engine: one log line in, failures out (fail2ban's processLine/findFailure).
 * Pure: time comes from the injected Clock, regexes and dates from injected factories
 * (see deps.ts), so the daemon, the regex tool and the compat corpus share this path.
 */
import type { Clock } from '../core/clock.js';
import { RegexTranslateError } from '../core/errors.js';
import type { Failure } from '../core/failure.js';
import type { FilterDef, Where } from '../config/types.js';
import type { CompiledRegexLike, DateDetectorLike, FilterDeps } from './deps.js';
import { extractFailureId, normalizeDnsMode, type DnsMode } from './failure-id.js';
import { applyGroupPlan, planGroups, type GroupPlan } from './groups.js';
import { MlfidCache, mergeIntoSession, newFailData, type FailData } from './mlfid.js';
import { joinLines, skippedLines, splitByMatch, type BufferedLine } from './multiline.js';
import type { LineResult } from './types.js';

export interface FilterRuntimeOptions {
  clock: Clock;
  /** `test`: fail2ban-regex/sample semantics (no time checks); `live`: the daemon. */
  mode: 'test' | 'live';
  /** Test every failregex on every line (regex tool, compat) instead of stopping at the first hit. */
  checkAll?: boolean;
  /** Overrides the filter's usedns (`raw` in tests). */
  usedns?: string | null;
  logtimezone?: string | null;
  maxlines?: number;
  /** Overrides the filter's datepattern when not undefined. */
  datepattern?: string | null;
  /** Live mode, while catching up (inOperation = false): lines older than now - findtime are dropped. */
  findtime?: number;
  /**
   * Test mode: false when the caller only needs to know whether the prefregex matched a line no
   * failregex can match (not its groups): such lines are then rejected by a literal scan and the
   * prefregex is only tested, not run for its captures (default true).
   */
  prefGroups?: boolean;
  /**
   * False when the caller reads neither a failure's `matches` nor its `fields` (the regex tool's
   * report, which only counts ids and times): failures and MLFID sessions then hold no lines, so
   * less outlives the young generation, and failures carry no fields (default true).
   */
  details?: boolean;
  /**
   * fail2ban's once-a-day warnings about timestamps (each kind at most once a day); the daemon
   * logs them.
   */
  warn?: (w: TimestampWarning) => void;
}

/**
 * A line's timestamp that fail2ban warns about: far from now while in operation (`odd`, `delta`
 * whole seconds, the line then counts as now), older than findtime while catching up (`old`,
 * the line is skipped), or missing on a line a failregex matched (`none`: the date text seen,
 * usually empty, and the matched lines).
 */
export type TimestampWarning =
  | { kind: 'odd'; delta: number; line: string }
  | { kind: 'old'; findtime: number; line: string }
  | { kind: 'none'; timeText: string; matched: readonly string[] };

export interface RegexSlot<R> {
  /** The regex as written in the filter (tags unexpanded). */
  readonly text: string;
  readonly regex: R;
  hits: number;
}

interface FailSlot<R> extends RegexSlot<R> {
  readonly plan: GroupPlan | null;
  readonly skipNames: readonly string[];
}

/** Index into FilterEngine.byLead for a text: its first character when ASCII, else 128. */
function leadIndex(text: string): number {
  const c = text.charCodeAt(0);
  return c < 128 ? c : 128;
}

/**
 * Per first character of the text (ASCII, then 128 for any other or none), the indices of the
 * failregexes that can match it, ascending: a start-anchored regex only where one of its
 * leading literals begins with that character. Most lines then meet a few regexes, not all.
 */
function leadCandidates(regexes: readonly CompiledRegexLike[]): Int32Array[] {
  const out: Int32Array[] = [];
  for (let c = 0; c <= 128; c++) {
    const ids: number[] = [];
    regexes.forEach((r, i) => {
      const prefixes = r.prefixes;
      if (!prefixes || prefixes.length === 0 || prefixes.some((p) => p === '')) ids.push(i);
      else if (prefixes.some((p) => (c < 128 ? p.charCodeAt(0) === c : p.charCodeAt(0) >= 128))) ids.push(i);
    });
    out.push(Int32Array.from(ids));
  }
  return out;
}

/** Position in `cands` of the first index above `i`. */
function after(cands: Int32Array, i: number): number {
  let k = 0;
  while (k < cands.length && cands[k]! <= i) k++;
  return k;
}

/**
 * An over-long line keeps its two ends (the date and daemon prefix at the start, the address and
 * verdict usually at the end): padding the middle (a user name, a URL) cannot push the address
 * out of reach, as a plain cut would let it.
 */
export function capLine(line: string, max: number): string {
  const head = max >> 1;
  return line.slice(0, head) + line.slice(line.length - (max - head));
}

/**
 * One search for "could any failregex match this line": per failregex its most selective
 * required-literal clause, all joined into one alternation. Null when some failregex requires no
 * literal at all. Most log lines match nothing, and this rejects them with one scan instead of a
 * prefregex run plus a prefilter per failregex.
 */
function anyFailGate(regexes: readonly CompiledRegexLike[]): RegExp | null {
  const alts = new Set<string>();
  for (const r of regexes) {
    const clauses = r.literals;
    if (!clauses || clauses.length === 0) return null;
    let best: readonly string[] | null = null;
    let bestLen = 0;
    for (const c of clauses) {
      const shortest = Math.min(...c.map((x) => x.length));
      if (shortest > bestLen) {
        best = c;
        bestLen = shortest;
      }
    }
    if (best === null) return null;
    for (const x of best) alts.add(x);
  }
  // a text holding "Failed publickey for " holds "Failed ": the longer alternative adds nothing
  // but work at every position the scan tries (sshd: 23 alternatives → 17)
  const all = [...alts];
  const kept = all.filter((a) => !all.some((b) => b !== a && a.includes(b)));
  return kept.length > 0 ? new RegExp(kept.map((x) => x.replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&')).join('|')) : null;
}

/** Names the engine consumes itself; they never reach Failure.fields. */
const CONTROL_GROUPS = new Set(['nofail', 'mlfforget', 'mlfgained', 'mlfpending', 'content']);
// `host`: the pre-0.10 address group (`(?P<host>\S*)`), still found in tutorials' filters
const ID_GROUPS = ['fid', 'ip4', 'ip6', 'dns', 'host', 'mlfid'];
const EMPTY: never[] = [];

/**
 * Adds to a result list that is usually absent or a single item: `[v]` is allocated at its exact
 * size, where `[]` + push reserves room for 17 (most of the engine's bytes per line before).
 */
function append<T>(list: T[] | undefined, v: T): T[] {
  if (list === undefined || list === EMPTY) return [v];
  list.push(v);
  return list;
}
/**
 * `part + "\n"` where `subject` (ending in "\n") ends with `part`: then it is the tail of the
 * subject, taken without a copy (the prefregex's `content` nearly always is). `isTail`: the
 * pattern guarantees it (see tailGroups), so no compare is needed.
 */
function tailWithNewline(subject: string, part: string, isTail: boolean): string {
  const end = subject.length - 1;
  return isTail || (end >= part.length && subject.charCodeAt(end) === 10 && subject.endsWith(part, end))
    ? subject.slice(end - part.length)
    : part + '\n';
}

/** Seconds a date stays usable for following undated lines, and the live sanity window. */
const DATE_REUSE = 60;
/** fail2ban repeats each kind of timestamp warning at most once a day. */
const WARN_AGAIN = 24 * 60 * 60;

export class FilterEngine<R extends CompiledRegexLike, D extends DateDetectorLike> {
  readonly failRegexes: readonly RegexSlot<R>[];
  readonly ignoreRegexes: readonly RegexSlot<R>[];
  readonly prefRegex: RegexSlot<R> | null;
  readonly dateDetector: D;
  readonly maxlines: number;
  readonly usedns: DnsMode;
  /**
   * Live mode only: true once the source reached the end of its existing data; before
   * that, old lines are dropped by findtime instead of being treated as "now".
   */
  inOperation = true;

  private readonly fail: readonly FailSlot<R>[];
  /** leadCandidates of the failregexes. */
  private readonly byLead: readonly Int32Array[];
  private readonly clock: Clock;
  private readonly live: boolean;
  private readonly checkAll: boolean;
  private readonly findtime: number | undefined;
  private readonly maxLineLength: number;
  private readonly earlyIgnore: boolean;
  /** anyFailGate, where skipping a line changes nothing observable (see constructor). */
  private readonly gate: RegExp | null;
  /** A line the gate rejects still needs its prefregex tested (test mode, prefGroups: false). */
  private readonly gateTestsPref: boolean;
  private readonly details: boolean;
  /** The prefregex's content is always the subject's tail (`…<F-CONTENT>.+</F-CONTENT>$`). */
  private readonly contentIsTail: boolean;
  private readonly sessions = new MlfidCache();
  private lineBuffer: BufferedLine[] = [];
  private lastDate: number | null = null;
  private readonly warn: ((w: TimestampWarning) => void) | null;
  /** When each kind of warning may be given again (fail2ban's `_next_…Warn`). */
  private readonly nextWarn: Record<TimestampWarning['kind'], number> = { odd: 0, old: 0, none: 0 };
  /** This line's date was missing (fail2ban's noDate). */
  private noDate = false;
  /** Where the last good date's text is (fail2ban's lastTimeText; kept with warn only), as a span, not a slice. */
  private lastTimeLine = '';
  private lastTimeStart = 0;
  private lastTimeEnd = 0;
  /** The date text fail2ban names for this line when it has none (warn only). */
  private noDateText = '';

  constructor(def: FilterDef, opts: FilterRuntimeOptions, deps: FilterDeps<R, D>) {
    this.clock = opts.clock;
    this.warn = opts.warn ?? null;
    this.live = opts.mode === 'live';
    this.checkAll = opts.checkAll ?? false;
    this.findtime = opts.findtime;
    this.maxLineLength = deps.maxLineLength;
    this.maxlines = Math.max(1, Math.trunc(opts.maxlines ?? def.maxlines));
    const usedns = opts.usedns ?? def.usedns ?? 'warn';
    this.usedns = normalizeDnsMode(usedns);
    const multiline = this.maxlines > 1;
    const fileWhere: Where = { file: def.file, line: 0 };
    // fail2ban compiles only the failregexes with MULTILINE: the prefregex and ignoreregexes keep
    // Python's single-line `^`/`$` even on a multi-line buffer (a prefregex ending in `.+$` then
    // matches only a buffer of one line)
    const compile = (regex: string, where: Where, multi = multiline): R =>
      deps.compileRegex(regex, { multiline: multi, usedns, where });

    const prefWhere = def.optionWhere?.prefregex ?? fileWhere;
    this.prefRegex = def.prefregex ? { text: def.prefregex, regex: compile(def.prefregex, prefWhere, false), hits: 0 } : null;
    this.contentIsTail = this.prefRegex?.regex.tailNames?.includes('content') ?? false;
    const prefHasId = this.prefRegex?.regex.groupNames.some((n) => ID_GROUPS.includes(n)) ?? false;
    this.fail = def.failregex.map(({ regex, where }) => {
      const compiled = compile(regex, where);
      const names = compiled.groupNames;
      if (!prefHasId && !names.some((n) => ID_GROUPS.includes(n))) {
        throw new RegexTranslateError(`No failure-id group (<HOST>, <ADDR>, <F-ID> …) in failregex '${regex}'`, where, {
          kind: 'no-failure-id',
          regex,
        });
      }
      return {
        text: regex,
        regex: compiled,
        hits: 0,
        plan: planGroups(names),
        skipNames: names.filter((n) => /^skiplines\d+$/.test(n)),
      };
    });
    this.failRegexes = this.fail;
    this.byLead = leadCandidates(this.fail.map((f) => f.regex));
    this.ignoreRegexes = def.ignoreregex.map(({ regex, where }) => ({ text: regex, regex: compile(regex, where, false), hits: 0 }));
    // fail2ban tests few ignoreregexes before the failregexes, many only after a hit
    this.earlyIgnore = this.ignoreRegexes.length > 0 && this.ignoreRegexes.length < this.fail.length - 2;
    // The daemon only cares about failures. The regex tool also reports prefregex and early
    // ignoreregex hits on lines no failregex matches, so there the gate needs neither.
    // Without the prefregex's groups, its hit count only needs a test() on rejected lines.
    this.gateTestsPref = !this.live && this.prefRegex !== null && opts.prefGroups === false;
    this.details = opts.details ?? true;
    const gateSafe = this.live || (!this.earlyIgnore && (this.prefRegex === null || this.gateTestsPref));
    this.gate = gateSafe && this.maxlines === 1 ? anyFailGate(this.fail.map((f) => f.regex)) : null;
    this.dateDetector = deps.createDateDetector({
      datepattern: opts.datepattern !== undefined ? opts.datepattern : def.datepattern,
      logtimezone: opts.logtimezone ?? null,
      clock: opts.clock,
      where: (opts.datepattern === undefined ? def.optionWhere?.datepattern : undefined) ?? fileWhere,
    });
  }

  /** Lines held for multi-line matching (read by the regex tool's report; do not modify). */
  get bufferedLines(): readonly BufferedLine[] {
    return this.lineBuffer;
  }

  /** Forget multi-line state (buffer, sessions, last date), e.g. on log rotation. */
  reset(): void {
    this.lineBuffer = [];
    this.sessions.clear();
    this.lastDate = null;
  }

  /**
   * One line (without its newline). Readers that have the line followed by "\n" as one string
   * pass it as `withNewline` (the subject fail2ban matches, so the engine makes no copy), and
   * `ascii` when they know the line is plain ASCII without "\r".
   */
  processLine(rawLine: string, sourceTime?: number, withNewline?: string, ascii = false): LineResult {
    const capped = rawLine.length > this.maxLineLength;
    const line = capped ? capLine(rawLine, this.maxLineLength) : rawLine;
    const now = this.clock.now();
    const single = this.maxlines === 1;
    // single-line mode matches `text + "\n"` (fail2ban's subject): the reader's, when it has one
    const whole = single && !capped ? withNewline : undefined;
    let text = whole ?? line;
    let hasNewline = whole !== undefined;
    let date: number | null = null;
    let templateName: string | null = null;
    let intTime = false;
    this.noDate = false;
    if (sourceTime !== undefined) {
      date = sourceTime;
      this.lastDate = date;
    } else {
      const dm = this.dateDetector.isNone ? null : this.dateDetector.match(line, now);
      if (dm !== null && dm.end > dm.start) {
        if (dm.start === 0) text = text.slice(dm.end);
        else {
          text = line.slice(0, dm.start) + line.slice(dm.end);
          hasNewline = false;
        }
        templateName = dm.template.name;
        intTime = dm.intTime === true;
        if (Number.isFinite(dm.time)) {
          date = dm.time;
          this.lastDate = date;
          if (this.warn !== null) {
            this.lastTimeLine = line;
            this.lastTimeStart = dm.start;
            this.lastTimeEnd = dm.end;
          }
        }
      } else if (this.dateDetector.isNone || dm !== null) {
        // {NONE}, or a template that matched an empty date (`^WARNING:()**`): the line happened
        // "now", or at the last known date when that is recent
        date = this.lastDate !== null && this.lastDate > now - DATE_REUSE ? this.lastDate : now;
      }
      if (date === null) {
        this.noDate = true;
        const reuse = this.lastDate !== null && this.lastDate > now - DATE_REUSE;
        if (this.warn !== null) {
          // the date text of the line (unreadable), or the last good one's when that is reused
          this.noDateText = reuse
            ? this.lastTimeLine.slice(this.lastTimeStart, this.lastTimeEnd)
            : dm !== null && dm.end > dm.start
              ? line.slice(dm.start, dm.end)
              : '';
        }
        if (reuse) {
          text = whole ?? line;
          hasNewline = whole !== undefined;
          date = this.lastDate;
        } else if (this.live && this.inOperation) date = now;
      }
    }
    if (this.live && date !== null) {
      if (this.inOperation) {
        // fail2ban compares whole seconds (int(date - now))
        const delta = Math.trunc(date - now);
        if (Math.abs(delta) > DATE_REUSE) {
          // latency or time zone problem: treat the entry as if it just happened
          if (this.warnDue('odd', now)) this.warn!({ kind: 'odd', delta, line });
          date = now;
          this.lastDate = now;
        }
      } else if (this.findtime !== undefined && date < now - this.findtime) {
        if (this.warnDue('old', now)) this.warn!({ kind: 'old', findtime: this.findtime, line });
        return { kind: 'missed', failures: EMPTY, failHits: EMPTY, ignoreHits: EMPTY, dateTemplate: templateName, time: date, intTime, prefMatched: false };
      }
    }
    return this.findFailures(single && !hasNewline ? text + '\n' : text, ascii, line, date, templateName, intTime, now);
  }

  /** `text`: the line without its date; in single-line mode followed by "\n", what the regexes match. */
  private findFailures(
    text: string,
    ascii: boolean,
    orig: string,
    date: number | null,
    templateName: string | null,
    intTime: boolean,
    now: number,
  ): LineResult {
    const res: LineResult = { kind: 'missed', failures: EMPTY, failHits: EMPTY, ignoreHits: EMPTY, dateTemplate: templateName, time: date, intTime, prefMatched: false };
    const multi = this.maxlines > 1;
    const checkAll = this.checkAll;
    let orgBuffer: BufferedLine[];
    // what the regexes run on
    let buf: string | null;
    if (multi) {
      this.lineBuffer.push({ text, orig });
      if (this.lineBuffer.length > this.maxlines) this.lineBuffer = this.lineBuffer.slice(-this.maxlines);
      orgBuffer = this.lineBuffer;
      buf = joinLines(orgBuffer);
      ascii = false;
    } else {
      orgBuffer = EMPTY;
      buf = text;
    }

    if (this.gate !== null && !this.gate.test(buf)) {
      const pref = this.prefRegex;
      if (this.gateTestsPref && pref !== null && pref.regex.mayMatch(buf) && pref.regex.testSubject(buf, ascii)) {
        pref.hits++;
        res.prefMatched = true;
      }
      return res;
    }

    if (this.earlyIgnore && this.ignoreLine(buf, ascii, res) >= 0) {
      if (!checkAll || multi) this.lineBuffer = [];
      res.kind = 'ignored';
      return res;
    }

    let preGroups: Record<string, string | undefined> | null = null;
    if (this.prefRegex) {
      const pm = this.prefRegex.regex.mayMatch(buf) ? this.prefRegex.regex.execSubject(buf, ascii) : null;
      if (pm === null) return res;
      this.prefRegex.hits++;
      res.prefMatched = true;
      preGroups = pm.groups; // a fresh object per exec, left intact for the regex tool's report
      res.prefGroups = preGroups;
      const content = preGroups.content;
      if (content) {
        if (multi) {
          // a buffer of one line, ending in "\n" like any joined buffer: a match on it then maps
          // onto the first line of the original buffer (fail2ban counts lines by newlines)
          buf = content + '\n';
          this.lineBuffer = [{ text: content, orig: content }];
        } else buf = tailWithNewline(buf, content, this.contentIsTail);
      }
    }

    let nofailHit = false;
    let pendingHit = false;
    // only the failregexes that can start where the text does; a hit may hand the rest another text
    let cands = this.byLead[leadIndex(buf)]!;
    let k = 0;
    let i = -1;
    for (;;) {
      if (buf === null) {
        if (i + 1 >= this.fail.length) break;
        buf = multi ? joinLines(this.lineBuffer) : text;
        cands = this.byLead[leadIndex(buf)]!;
        k = after(cands, i);
      }
      if (k >= cands.length) break;
      i = cands[k++]!;
      const slot = this.fail[i]!;
      if (!slot.regex.mayMatch(buf)) continue;
      const m = slot.regex.execSubject(buf, ascii);
      if (m === null) continue;

      let matched: string[];
      let matchedLines: BufferedLine[] = EMPTY;
      let unmatched: BufferedLine[] = EMPTY;
      if (multi) {
        const split = splitByMatch(buf, m.index, m.end, orgBuffer, skippedLines(m.groups, slot.skipNames));
        matchedLines = split.matched;
        matched = this.details ? matchedLines.map((l) => l.orig) : EMPTY;
        unmatched = split.unmatched;
      } else matched = this.details ? [orig] : EMPTY;

      if (this.ignoreRegexes.length > 0 && !this.earlyIgnore) {
        // multi-line: only the lines this failregex matched are checked
        const ignoreBuf = multi ? joinLines(matchedLines) : buf;
        if (this.ignoreLine(ignoreBuf, ascii, res) >= 0) {
          if (!checkAll || multi) this.lineBuffer = unmatched;
          buf = null;
          if (!checkAll) break;
          continue;
        }
      }
      if (this.noDate && this.warnDue('none', now)) {
        this.warn!({ kind: 'none', timeText: this.noDateText, matched: multi ? matchedLines.map((l) => l.orig) : [orig] });
      }
      // a line without usable date counts only where no time checks apply (regex tool, tests)
      if (date === null && this.live) continue;
      if (!checkAll || multi) {
        this.lineBuffer = unmatched;
        buf = null;
      }

      // prefregex values stay unless the failregex captured the same group itself
      const groups = m.groups;
      if (preGroups) {
        for (const k in preGroups) if (k !== 'content' && groups[k] === undefined && preGroups[k] !== undefined) groups[k] = preGroups[k];
      }
      if (slot.plan) applyGroupPlan(slot.plan, groups);

      const mlfid = groups.mlfid;
      let fail: FailData;
      if (mlfid !== undefined) {
        fail = mergeIntoSession(this.sessions, mlfid, newFailData(groups), matched, now);
        res.session = fail;
        if (fail.groups.nofail && !checkAll) {
          // not a hit, but the regex tool follows the session it changed (`-o row` key order)
          res.nofailHits = append(res.nofailHits, i);
          res.nofailIds = append(res.nofailIds, null);
          res.kind = 'ignored';
          return res;
        }
      } else {
        fail = newFailData(groups);
        fail.matches = matched; // a fresh array per hit
      }

      const idr = extractFailureId(fail.groups, this.usedns);
      if (idr.kind === 'none') continue;
      slot.hits++;
      res.failHits = append(res.failHits, i);
      if (fail.groups.nofail) {
        res.nofailHits = append(res.nofailHits, i);
        res.nofailIds = append(res.nofailIds, idr.kind === 'id' ? idr.id : null);
      }
      if (idr.kind === 'pending') {
        fail.pending = true;
        pendingHit = true;
        if (!checkAll) break;
        continue;
      }
      if (fail.groups.nofail) nofailHit = true;
      else {
        res.failures = append(res.failures, this.toFailure(fail, idr, date, now));
        res.failureRegex = append(res.failureRegex, i);
      }
      if (!checkAll) break;
    }

    if (res.failures.length > 0 || pendingHit) res.kind = 'matched';
    else if (nofailHit || res.ignoreHits.length > 0) res.kind = 'ignored';
    return res;
  }

  /** A warning of this kind is wanted now (then not again for a day). */
  private warnDue(kind: TimestampWarning['kind'], now: number): boolean {
    if (this.warn === null || now < this.nextWarn[kind]) return false;
    this.nextWarn[kind] = now + WARN_AGAIN;
    return true;
  }

  /** Runs the ignoreregexes on `buf`; returns the index of the last one that matched, or -1. */
  private ignoreLine(buf: string, ascii: boolean, res: LineResult): number {
    let found = -1;
    for (let j = 0; j < this.ignoreRegexes.length; j++) {
      const slot = this.ignoreRegexes[j]!;
      if (!slot.regex.mayMatch(buf) || slot.regex.execSubject(buf, ascii) === null) continue;
      slot.hits++;
      res.ignoreHits = append(res.ignoreHits, j);
      found = j;
      if (!this.checkAll) break;
    }
    return found;
  }

  private toFailure(fail: FailData, idr: { id: string; ip: string | null; resolveDns?: 'yes' | 'warn' }, date: number | null, now: number): Failure {
    const fields: Record<string, string> = {};
    if (this.details)
      for (const k in fail.groups) {
        const v = fail.groups[k];
        if (v !== undefined && !CONTROL_GROUPS.has(k) && !k.startsWith('skiplines')) fields[k] = v;
      }
    // live: no failure lies in the future
    const time = date === null ? NaN : this.live && date > now ? now : date;
    const f: Failure = { id: idr.id, ip: idr.ip, time, matches: fail.matches ? fail.matches.slice() : [], fields, count: 1 };
    if (fail.users) f.users = fail.users.slice();
    if (idr.resolveDns) f.resolveDns = idr.resolveDns;
    return f;
  }
}
