/**
 * The date detector of one filter: builds templates from `datepattern`, finds the timestamp
 * of each line and keeps fail2ban's per-filter state (last winner, positions, hit counts,
 * bubble-up ordering) so the common format is found first and the report matches.
 */
import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { Where } from '../../config/types.js';
import { TimeConverter } from './convert.js';
import { dateSubstitute, DEFAULT_PATTERNS, defaultTemplates, patternKey, templateFromPattern } from './defaults.js';
import { yearSpec, type YearSpec } from './directives.js';
import { isWordChar } from './regex.js';
import { LN_BEG, PatternTemplate, type Template } from './template.js';
import { parseTimezone } from './timezone.js';

export interface DateTemplate {
  readonly name: string;
  hits: number;
}

export interface DateMatch {
  /** Epoch seconds (EPOCH keeps fractions); NaN when the date text is empty or not a valid date. */
  time: number;
  /** The date text is line.slice(start, end). */
  start: number;
  end: number;
  template: DateTemplate;
  /** fail2ban holds this time as an int (see Template.intTime). */
  intTime: boolean;
}

export interface DateDetectorOptions {
  datepattern: string | null;
  logtimezone?: string | null;
  clock: Clock;
  where?: Where;
  /** false: never reuse the previous line's date (tests compare both ways). */
  reuse?: boolean;
}

const DATE_PLACEHOLDER = /(?<!\\)\{DATE\}/gi;
/** fail2ban moves a template past one not used for this long. */
const UNUSED_TIME = 300;
const FAR = 0x7fffffff;
/** "No character" marker that equals nothing (fail2ban's None before the first match). */
const NONE = -2;

function charAt(line: string, i: number): number {
  return i >= 0 && i < line.length ? line.charCodeAt(i) : -1;
}

function isAlnum(c: number): boolean {
  return c >= 0 && c !== 95 && isWordChar(c);
}

function weightOf(t: Template): number {
  return (t.hits * t.weight) / Math.max(1, t.distance);
}

export class DateDetector {
  readonly isNone: boolean;
  private readonly list: Template[] = [];
  private readonly names = new Set<string>();
  private readonly raw: string | null;
  private readonly conv: TimeConverter;
  private readonly years: YearSpec;
  private readonly clock: Clock;
  // state of the last winner (fail2ban's __lastPos / __lastEndPos / __lastTemplIdx)
  private lastIdx = FAR;
  private lastStart = 1;
  private lastBefore = NONE;
  private lastFirst = NONE;
  private lastEnd = FAR;
  private lastLast = NONE;
  private lastAfter = NONE;
  private firstUnused = 0;
  /**
   * The last line's winning template (at lastIdx, line-anchored) found its date in these leading
   * characters: a line starting with them gets the same answer within the same second of `now`, and
   * only the template's hit counters move. Busy logs write many lines per second.
   */
  private memoKey: string | null = null;
  private memoSecond = NaN;
  private memoTime = NaN;
  private memoInt = false;
  private readonly reuse: boolean;

  constructor(opts: DateDetectorOptions) {
    this.clock = opts.clock;
    this.reuse = opts.reuse ?? true;
    this.raw = opts.datepattern;
    const tz = opts.logtimezone == null ? null : parseTimezone(opts.logtimezone, opts.where);
    this.conv = new TimeConverter(tz);
    const clockYear = new Date(opts.clock.now() * 1000).getFullYear();
    this.years = yearSpec(clockYear, new Date().getFullYear());
    let none = false;
    if (opts.datepattern === null) {
      this.addDefaults(null, null);
    } else {
      for (const line of opts.datepattern.split('\n')) {
        const p = line.trim();
        if (p === '') continue;
        try {
          if (this.append(p)) none = true;
        } catch (e) {
          if (e instanceof ConfigError) throw e;
          throw new ConfigError(`Failed to set datepattern '${p}' ${(e as Error).message}`, opts.where);
        }
      }
    }
    this.isNone = none;
  }

  /**
   * The datepattern lines as fail2ban announces them when a jail takes them: the template's own
   * pattern ('' for the epoch and TAI64N kinds) and its name; default sets are not announced.
   */
  readonly announced: [pattern: string, name: string][] = [];

  /** All templates, in current order (fail2ban reorders by use; the report lists them so). */
  get templates(): readonly DateTemplate[] {
    return this.list;
  }

  /** fail2ban-regex's "Use      datepattern : …" value. */
  describe(): string {
    const n = this.list.length;
    const name = n === 0 || n > 2 ? 'Default Detectors' : (this.list[0]?.name ?? '');
    return this.raw === null ? name : `${this.raw} : ${name}`;
  }

  /** @returns true for `{NONE}`. */
  private append(p: string): boolean {
    const key = patternKey(p);
    if (key === LN_BEG || key === '{DEFAULT}') {
      this.addDefaults(key === LN_BEG ? (t) => t.lineBegin : null, null);
      return false;
    }
    if (key.includes('{DATE}')) {
      this.addDefaults(null, p);
      return false;
    }
    if (key === '{NONE}') {
      const t = new PatternTemplate('{UNB}^', this.years);
      this.add(t, false);
      this.announced.push(['{UNB}^', t.name]);
      return true;
    }
    const t = templateFromPattern(p, this.years);
    this.add(t, false);
    this.announced.push([t instanceof PatternTemplate ? p : '', t.name]);
    return false;
  }

  private addDefaults(keep: ((t: Template) => boolean) | null, preMatch: string | null): void {
    const ignoreDup = this.list.length > 0;
    if (preMatch !== null) {
      for (const p of DEFAULT_PATTERNS) {
        const sub = dateSubstitute(p);
        this.add(templateFromPattern(preMatch.replace(DATE_PLACEHOLDER, () => sub), this.years), ignoreDup);
      }
      return;
    }
    for (const t of defaultTemplates(this.years)) {
      if (keep === null || keep(t)) this.add(t, ignoreDup);
    }
  }

  private add(t: Template, ignoreDup: boolean): void {
    if (this.names.has(t.name)) {
      if (ignoreDup) {
        // fail2ban caches templates by pattern, so a datepattern line equal to a default (say
        // `{^LN-BEG}Epoch` before `{^LN-BEG}`) is that default's object: it takes its weight (100
        // for the line-start copies), which decides how the report orders the templates
        const same = this.list.find((x) => x.name === t.name);
        if (same) same.weight = t.weight;
        return;
      }
      throw new Error(`There is already a template with name ${t.name}`);
    }
    this.names.add(t.name);
    this.list.push(t);
  }

  /**
   * Find the line's timestamp; updates hit counts and the template cache. `now`: the caller's
   * reading of the clock for this line, when it has one (one clock read per line, not several).
   */
  match(line: string, now = this.clock.now()): DateMatch | null {
    const list = this.list;
    const memo = this.memoKey;
    // lastIndexOf(…, 0) tests the start only, like startsWith, and costs V8 about half as much
    // on these short keys (measured: ~55 ns less per line)
    if (memo !== null && line.lastIndexOf(memo, 0) === 0) {
      // within one whole second, "now" cannot change a converted date (zone offsets and the
      // year and day cut-offs are whole seconds)
      if (Math.floor(now) === this.memoSecond) {
        // what the line-anchored last-template path below does when its search succeeds again
        const t = list[this.lastIdx]!;
        t.rawHits++;
        t.hits++;
        t.lastUsed = now;
        if (this.firstUnused === this.lastIdx) this.firstUnused++;
        return { time: this.memoTime, start: t.dateStart, end: t.dateEnd, template: t, intTime: this.memoInt };
      }
    }
    this.memoKey = null;
    let win: Template | undefined;
    let winIdx = -1;
    let ignoreBySearch = -1;
    // fallback: a match further right than expected, used if nothing better turns up
    let fb: Template | undefined;
    let fbIdx = -1;
    let fbStart = FAR;
    let fbEnd = 0;
    let fbDateStart = 0;
    let fbDateEnd = 0;
    let fbTime = NaN;
    let fbInt = false;

    const last = this.lastIdx < list.length ? list[this.lastIdx] : undefined;
    if (last !== undefined) {
      let ok: boolean;
      if (last.lineAnchored) {
        ok = last.search(line);
        ignoreBySearch = this.lastIdx;
      } else {
        const d = this.lastStart;
        const e = this.lastEnd;
        const beforeOk =
          charAt(line, d - 1) === this.lastBefore || (charAt(line, d) === this.lastFirst && !isAlnum(this.lastFirst));
        const afterOk =
          charAt(line, e) === this.lastAfter || (charAt(line, e - 1) === this.lastLast && !isAlnum(this.lastLast));
        if (beforeOk && afterOk) {
          ok = last.matchAt(line, d, e);
        } else {
          ok = last.search(line);
          ignoreBySearch = this.lastIdx;
        }
      }
      if (ok) {
        if (last.lineAnchored || (last.start === this.lastStart && last.end === this.lastEnd)) {
          win = last;
          winIdx = this.lastIdx;
        } else {
          fb = last;
          fbIdx = this.lastIdx;
          fbStart = last.start;
          fbEnd = last.end;
          fbDateStart = last.dateStart;
          fbDateEnd = last.dateEnd;
          fbTime = last.time(line, this.conv, now);
          fbInt = last.intTime(this.conv);
        }
      }
    }

    if (win === undefined) {
      for (let i = 0; i < list.length; i++) {
        if (i === ignoreBySearch) continue;
        const t = list[i]!;
        if (!t.search(line)) continue;
        const distance = t.start;
        const next = list[i + 1];
        if (
          next === undefined ||
          t.lineAnchored ||
          (distance === 0 && t.hits > 0 && next.rawHits === 0)
        ) {
          win = t;
          winIdx = i;
          break;
        }
        if (distance > t.distance || distance > this.lastStart) {
          // date found further right than before: maybe inside the message, keep looking
          if (distance < fbStart) {
            fb = t;
            fbIdx = i;
            fbStart = distance;
            fbEnd = t.end;
            fbDateStart = t.dateStart;
            fbDateEnd = t.dateEnd;
            fbTime = t.time(line, this.conv, now);
            fbInt = t.intTime(this.conv);
          }
          continue;
        }
        win = t;
        winIdx = i;
        break;
      }
    }

    let start: number;
    let end: number;
    let dateStart: number;
    let dateEnd: number;
    let time: number;
    let intTime: boolean;
    if (win !== undefined) {
      start = win.start;
      end = win.end;
      dateStart = win.dateStart;
      dateEnd = win.dateEnd;
      time = win.time(line, this.conv, now);
      intTime = win.intTime(this.conv);
    } else if (fb !== undefined) {
      win = fb;
      winIdx = fbIdx;
      start = fbStart;
      end = fbEnd;
      dateStart = fbDateStart;
      dateEnd = fbDateEnd;
      time = fbTime;
      intTime = fbInt;
    } else {
      return null;
    }

    win.hits++;
    win.lastUsed = now;
    win.distance = start;
    if (this.firstUnused === winIdx) this.firstUnused++;
    this.lastStart = start;
    this.lastBefore = charAt(line, start - 1);
    this.lastFirst = charAt(line, start);
    this.lastEnd = end;
    this.lastLast = charAt(line, end - 1);
    this.lastAfter = charAt(line, end);
    if (winIdx > 0 && winIdx !== this.lastIdx) winIdx = this.reorder(winIdx);
    this.lastIdx = winIdx;
    if (win.lineAnchored && this.reuse) {
      const span = win.memoSpan(line);
      if (span > 0) {
        this.memoKey = line.slice(0, span);
        this.memoSecond = Math.floor(now);
        this.memoTime = time;
        this.memoInt = intTime;
      }
    }
    return { time, start: dateStart, end: dateEnd, template: win, intTime };
  }

  /** Bubble a winner up the list (fail2ban's weighting), so it is tried early next time. */
  private reorder(num: number): number {
    const list = this.list;
    const t = list[num]!;
    const untime = t.lastUsed - UNUSED_TIME;
    const weight = weightOf(t);
    let pos = this.firstUnused < num ? this.firstUnused : num >> 1;
    const moveable = (): boolean => {
      const other = list[pos]!;
      return weight > weightOf(other) || untime > other.lastUsed;
    };
    if (!moveable()) {
      if (pos === num - 1) return num;
      pos = num - 1;
      if (!moveable()) return num;
    }
    list.splice(num, 1);
    list.splice(pos, 0, t);
    while (this.firstUnused < list.length && list[this.firstUnused]!.hits > 0) this.firstUnused++;
    return pos;
  }
}
