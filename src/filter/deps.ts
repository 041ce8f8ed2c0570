/**
 * The shapes the filter engine needs from the regex translator and the date detector.
 * Structural on purpose: `translate/` and `date/` satisfy them, and unit tests can pass
 * small fakes without pulling the real implementations in.
 */
import type { Clock } from '../core/clock.js';
import type { Where } from '../config/types.js';

export interface RegexMatchLike {
  index: number;
  end: number;
  groups: Record<string, string | undefined>;
}

export interface CompiledRegexLike {
  readonly source: string;
  readonly groupNames: readonly string[];
  /** Matches the subject as the filter hands it over: in single-line mode the line plus "\n" (see compile.ts). */
  execSubject(subject: string, ascii: boolean): RegexMatchLike | null;
  /** execSubject(…) !== null, without building the match. */
  testSubject(subject: string, ascii: boolean): boolean;
  /** Cheap literal prefilter: false means exec() cannot match. */
  mayMatch(text: string): boolean;
  /** Start-anchored regexes: texts one of which a matching subject starts with (null/absent = unknown). */
  readonly prefixes?: readonly string[] | null;
  /** Required literals: a match's text holds one string of every clause (absent = unknown). */
  readonly literals?: readonly (readonly string[])[];
  /** Single-line mode: groups whose non-empty value always ends right before the subject's final "\n". */
  readonly tailNames?: readonly string[];
}

export interface RegexCompileOptions {
  multiline: boolean;
  usedns?: string | null;
  where?: Where;
}

export interface DateTemplateLike {
  readonly name: string;
  hits: number;
}

export interface DateMatchLike {
  /** Epoch seconds; NaN when the text looked like a date but could not be converted. */
  time: number;
  start: number;
  end: number;
  template: DateTemplateLike;
  /** fail2ban holds the time as an int (zone applied, TAI64N); absent: a float. */
  intTime?: boolean;
}

export interface DateDetectorLike {
  /** `now`: the clock's reading for this line (the detector reads its clock when absent). */
  match(line: string, now?: number): DateMatchLike | null;
  readonly isNone: boolean;
}

export interface DateDetectorOptions {
  datepattern: string | null;
  logtimezone?: string | null;
  clock: Clock;
  where?: Where;
}

export interface FilterDeps<R extends CompiledRegexLike, D extends DateDetectorLike> {
  compileRegex(regex: string, opts: RegexCompileOptions): R;
  createDateDetector(opts: DateDetectorOptions): D;
  /** Longer lines are cut to this length before matching. */
  maxLineLength: number;
}
