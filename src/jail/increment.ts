import type { IncrementDef } from '../config/types.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { compilePyExpr, type PyExpr } from './py-expr.js';
import { secondsShown, str2secIsFloat } from '../config/timespec.js';
import { str2sec, strictBool } from './time-value.js';

/**
 * bantime.increment (anatomy §1.6): a repeat offender's bantime grows with the number of
 * earlier bans recorded in the store, and its failures count more.
 */

/** The latest recorded ban of an id (what the store's previousBan returns). */
export interface PreviousBan {
  /** Bans recorded so far (fail2ban's `bancount`). */
  banCount: number;
  /** Time of the latest recorded ban. */
  time: number;
  /** Its bantime (negative = permanent). */
  bantime: number;
}

export const DEFAULT_FORMULA = 'ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor';
const FORMULA_NAMES = ['ban.Time', 'ban.Count', 'banFactor'];

export type IncrementOption = 'increment' | 'factor' | 'formula' | 'multipliers' | 'maxtime' | 'rndtime' | 'overalljails';
export const INCREMENT_OPTIONS: readonly IncrementOption[] = ['increment', 'factor', 'formula', 'multipliers', 'maxtime', 'rndtime', 'overalljails'];

export interface IncrementResult {
  bantime: number;
  /** Set when the formula failed at run time: the base bantime is used (fail2ban logs and goes on). */
  error?: string;
}

/** The options as written in the jail's config (`bantime.factor = 2` → factor: '2'). */
export type IncrementTexts = Partial<Record<IncrementOption, string>>;

export class BanTimeIncrement {
  private def: IncrementDef;
  /**
   * What `get bantime.<opt>` shows: only options that were set, as fail2ban keeps them (the
   * text given, times in seconds, booleans from the config as booleans); unset ones are None.
   */
  private readonly shown = new Map<IncrementOption, string | number | boolean>();
  private formula: PyExpr | null = null;
  private readonly random: () => number;

  constructor(def: IncrementDef, opts: { random?: () => number; given?: IncrementTexts } = {}) {
    this.def = { ...def, multipliers: [...def.multipliers] };
    this.random = opts.random ?? Math.random;
    this.compile();
    this.showGiven(opts.given ?? {});
  }

  /** A new definition (reload): replaces every option, set or not. */
  replace(def: IncrementDef, given: IncrementTexts = {}): void {
    this.adopt({ ...def, multipliers: [...def.multipliers] });
    this.shown.clear();
    this.showGiven(given);
  }

  /** Make `next` the definition, or keep the current one when it does not compile. */
  private adopt(next: IncrementDef): void {
    const saved = this.def;
    this.def = next;
    try {
      this.compile();
    } catch (err) {
      this.def = saved;
      throw err;
    }
  }

  private showGiven(given: IncrementTexts): void {
    const d = this.def;
    // fail2ban's config reader sends booleans and seconds for these, the text for the others
    const parsed: Partial<Record<IncrementOption, number | boolean | null>> = {
      increment: d.enabled,
      overalljails: d.overalljails,
      maxtime: d.maxtime,
      rndtime: d.rndtime,
    };
    for (const opt of INCREMENT_OPTIONS) {
      const text = given[opt];
      if (text !== undefined && text.trim() !== '') this.shown.set(opt, parsed[opt] ?? text);
    }
  }

  get enabled(): boolean {
    return this.def.enabled;
  }

  get overalljails(): boolean {
    return this.def.overalljails;
  }

  get definition(): Readonly<IncrementDef> {
    return this.def;
  }

  private compile(): void {
    this.formula = this.def.multipliers.length > 0 ? null : compilePyExpr(this.def.formula ?? DEFAULT_FORMULA, FORMULA_NAMES, 'bantime.formula');
  }

  /**
   * Bantime for a new ban of an id whose latest recorded ban is `prev`. Unchanged when the
   * increment is off, the base is permanent or zero, or the id was never banned.
   */
  bantime(base: number, prev: PreviousBan | null): IncrementResult {
    if (!this.def.enabled || base <= 0 || !prev || prev.banCount <= 0) return { bantime: base };
    try {
      return { bantime: this.evaluate(base, prev.banCount) };
    } catch (err) {
      return { bantime: base, error: `bantime.formula: ${errorMessage(err)}` };
    }
  }

  /** The raw chain: multipliers or formula (never below base), then maxtime cap, then random. */
  evaluate(base: number, count: number): number {
    const d = this.def;
    let v: number;
    if (d.multipliers.length > 0) {
      const m = d.multipliers;
      v = base * d.factor * m[count < m.length ? count : m.length - 1]!;
    } else {
      v = Math.max(base, this.formula!({ 'ban.Time': base, 'ban.Count': count, banFactor: d.factor }));
    }
    if (d.maxtime !== null) v = Math.min(v, d.maxtime);
    if (d.rndtime !== null) v += this.random() * d.rndtime;
    return v;
  }

  /**
   * Retries one new failure counts for when the id was banned before: 2^banCount/2 + 1
   * (2, 3, 5, 9 …), capped at maxretry. A failure not newer than the latest ban was already
   * counted before that ban (a re-read log line): it counts 1.
   */
  failureRetry(prev: PreviousBan | null, failureTime: number, maxretry: number): number {
    if (!this.def.enabled || !prev || failureTime <= prev.time) return 1;
    const n = Math.max(prev.banCount, 0);
    return Math.min(2 ** Math.min(n, 20) / 2 + 1, maxretry);
  }

  /** `set <jail> bantime.<opt> <value>`; empty value resets to the default. */
  set(opt: IncrementOption, value: string): void {
    const key = `bantime.${opt}`;
    const v = value.trim();
    const next: IncrementDef = { ...this.def };
    switch (opt) {
      case 'increment':
        next.enabled = v !== '' && strictBool(v, key);
        break;
      case 'overalljails':
        next.overalljails = v !== '' && strictBool(v, key);
        break;
      case 'factor':
        next.factor = v === '' ? 1 : compilePyExpr(v, [], key)();
        break;
      case 'formula':
        next.formula = v === '' ? null : v;
        break;
      case 'multipliers':
        next.multipliers = v === '' ? [] : v.split(/\s+/).map((x) => parseMultiplier(x, key));
        break;
      case 'maxtime':
        next.maxtime = v === '' ? null : str2sec(v, key);
        break;
      case 'rndtime':
        next.rndtime = v === '' ? null : str2sec(v, key);
        break;
    }
    this.adopt(next);
    // fail2ban drops an option set to '' (increment becomes False), keeps times in seconds and
    // the others as the text given
    if (v === '' && opt !== 'increment') this.shown.delete(opt);
    else if (opt === 'increment') this.shown.set(opt, next.enabled);
    else if (opt === 'maxtime' || opt === 'rndtime') {
      // a float stays one (`1.5h` reads back as 5400.0), as findtime
      this.shown.set(opt, secondsShown(next[opt]!, str2secIsFloat(value)));
    } else this.shown.set(opt, value);
  }

  /** `get <jail> bantime.<opt>`: null when unset. */
  get(opt: IncrementOption): string | number | boolean | null {
    return this.shown.get(opt) ?? null;
  }
}

function parseMultiplier(x: string, key: string): number {
  if (!/^[+-]?\d+$/.test(x)) throw new ConfigError(`${key}: invalid multiplier ${JSON.stringify(x)} (integers separated by spaces)`);
  return Number(x);
}
