/**
 * Date fields → epoch seconds with fail2ban's rules: missing year = this year (last year when
 * that lands more than a day in the future), missing month and day = today (yesterday when
 * in the future), 2-digit years are 20xx, explicit zone > logtimezone > local time.
 * Local time uses JavaScript's Date (follows process.env.TZ), cached per 15 minutes so the
 * hot path allocates nothing.
 */
import { MONTH_INDEX, WEEKDAY_INDEX } from './directives.js';
import { zoneOffset } from './timezone.js';

/** Reusable scratch record of parsed fields; -1 = not present. */
export class DateFields {
  year = -1;
  month = -1;
  day = -1;
  hour = 0;
  minute = 0;
  second = 0;
  /** Minutes east of UTC; null = none given; NaN = given but not understood. */
  tz: number | null = null;
  julian = -1;
  weekday = -1;
  week = -1;
  weekStartsMonday = false;

  reset(): this {
    this.year = this.month = this.day = -1;
    this.hour = this.minute = this.second = 0;
    this.tz = null;
    this.julian = this.weekday = this.week = -1;
    this.weekStartsMonday = false;
    return this;
  }

  /** Fill from a template's match array, reading the groups located by `plan`. */
  fromMatch(m: RegExpExecArray, plan: GroupPlan): this {
    this.reset();
    const g = (i: number): string | undefined => (i > 0 ? m[i] : undefined);
    let v: string | undefined;
    if ((v = g(plan.Y)) !== undefined) this.year = Number(v);
    else if ((v = g(plan.y)) !== undefined) this.year = Number(v) + 2000;
    if ((v = g(plan.m)) !== undefined) this.month = Number(v);
    else if ((v = g(plan.b) ?? g(plan.B)) !== undefined) this.month = MONTH_INDEX.get(v.toLowerCase()) ?? -1;
    if ((v = g(plan.d)) !== undefined) this.day = Number(v);
    if ((v = g(plan.H)) !== undefined) this.hour = Number(v);
    else if ((v = g(plan.I)) !== undefined) {
      const h12 = Number(v);
      if (g(plan.p)?.toLowerCase() === 'pm') this.hour = h12 === 12 ? 12 : h12 + 12;
      else this.hour = h12 === 12 ? 0 : h12;
    }
    if ((v = g(plan.M)) !== undefined) this.minute = Number(v);
    if ((v = g(plan.S)) !== undefined) this.second = Number(v);
    if ((v = g(plan.z) ?? g(plan.Z)) !== undefined) this.tz = zoneOffset(v) ?? NaN;
    if (plan.rare) {
      if ((v = g(plan.j)) !== undefined) this.julian = Number(v);
      if ((v = g(plan.a) ?? g(plan.A)) !== undefined) this.weekday = WEEKDAY_INDEX.get(v.toLowerCase()) ?? -1;
      else if ((v = g(plan.w)) !== undefined) this.weekday = (Number(v) + 6) % 7;
      if ((v = g(plan.U)) !== undefined) this.week = Number(v);
      else if ((v = g(plan.W)) !== undefined) {
        this.week = Number(v);
        this.weekStartsMonday = true;
      }
    }
    return this;
  }
}

const PLAN_KEYS = ['Y', 'y', 'm', 'b', 'B', 'd', 'H', 'I', 'p', 'M', 'S', 'z', 'Z', 'j', 'a', 'A', 'w', 'U', 'W'] as const;
type PlanKey = (typeof PLAN_KEYS)[number];

/** Match-array index of each strptime group (-1 = absent). */
export type GroupPlan = Record<PlanKey, number> & { rare: boolean };

export function groupPlan(index: ReadonlyMap<string, number>): GroupPlan {
  const plan = { rare: false } as GroupPlan;
  for (const k of PLAN_KEYS) plan[k] = index.get(k) ?? -1;
  // julian day and week numbers only matter when present
  plan.rare = plan.j > 0 || plan.U > 0 || plan.W > 0;
  return plan;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (MONTH_DAYS[month - 1] ?? 0);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Date.UTC is a slow runtime call). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Seconds of a wall-clock time read as if it were UTC ("naive" time). */
function naive(year: number, month: number, day: number, h: number, m: number, s: number): number {
  return daysFromCivil(year, month, day) * 86400 + h * 3600 + m * 60 + s;
}

/** Day of year from week number and weekday (Python's %U/%W rules; Monday = 0). */
function julianFromWeek(year: number, week: number, weekday: number, startsMonday: boolean): number {
  let first = (new Date(Date.UTC(year, 0, 1)).getUTCDay() + 6) % 7;
  let dow = weekday;
  if (!startsMonday) {
    first = (first + 1) % 7;
    dow = (dow + 1) % 7;
  }
  if (week === 0) return 1 + dow - first;
  return 1 + ((7 - first) % 7) + 7 * (week - 1) + dow;
}

const BUCKET = 900;

export class TimeConverter {
  private offBucket = NaN;
  private offValue = 0;
  private locBucket = NaN;
  private locBase = 0;
  private dayKey = NaN;
  private dayY = 0;
  private dayM = 0;
  private dayD = 0;
  /** The last toEpoch() applied a zone (the line's or logtimezone): fail2ban's value is then an int. */
  zoned = false;

  constructor(
    /** logtimezone in minutes east of UTC, null = local time. */
    private readonly defaultTz: number | null,
  ) {}

  /** Seconds to add to UTC to get local wall-clock time at epoch `t`. */
  localOffset(t: number): number {
    const b = Math.floor(t / BUCKET);
    if (b !== this.offBucket) {
      this.offBucket = b;
      this.offValue = -new Date(b * BUCKET * 1000).getTimezoneOffset() * 60;
    }
    return this.offValue;
  }

  /** Epoch of a local wall-clock time given as naive seconds. */
  localToEpoch(n: number): number {
    const b = Math.floor(n / BUCKET);
    if (b !== this.locBucket) {
      const d = new Date(b * BUCKET * 1000);
      const loc = new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes());
      this.locBucket = b;
      this.locBase = loc.getTime() / 1000;
    }
    return this.locBase + (n - b * BUCKET);
  }

  private today(nowNaive: number): void {
    const k = Math.floor(nowNaive / 86400);
    if (k !== this.dayKey) {
      const d = new Date(k * 86400000);
      this.dayKey = k;
      this.dayY = d.getUTCFullYear();
      this.dayM = d.getUTCMonth() + 1;
      this.dayD = d.getUTCDate();
    }
  }

  /** Epoch seconds (integer) for the fields, NaN when they do not form a valid date. */
  toEpoch(f: DateFields, now: number): number {
    const nowNaive = now + this.localOffset(now);
    this.today(nowNaive);
    let year = f.year;
    let month = f.month;
    let day = f.day;
    const assumeYear = year < 0;
    if (assumeYear) year = this.dayY;
    if (month < 0 || day < 0) {
      let julian = f.julian;
      if (julian < 0 && f.week >= 0 && f.weekday >= 0) julian = julianFromWeek(year, f.week, f.weekday, f.weekStartsMonday);
      if (julian >= 0) {
        const d = new Date(Date.UTC(year, 0, julian));
        year = d.getUTCFullYear();
        month = d.getUTCMonth() + 1;
        day = d.getUTCDate();
      }
    }
    const assumeToday = month < 0 && day < 0;
    if (assumeToday) {
      month = this.dayM;
      day = this.dayD;
    }
    const { hour, minute, second } = f;
    if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return NaN;
    if (hour > 23 || minute > 59 || second > 59 || year < 1) return NaN;
    const tz = f.tz ?? this.defaultTz;
    this.zoned = tz !== null;
    if (tz !== null && Number.isNaN(tz)) return NaN;
    const shift = tz === null ? 0 : tz * 60;
    let t = naive(year, month, day, hour, minute, second) - shift;
    // fail2ban compares these with local "now" even when a zone was applied
    if (assumeToday && t > nowNaive) t -= 86400;
    if (assumeYear && t > nowNaive + 86400) {
      if (month === 2 && day === 29 && !isLeap(year - 1)) return NaN;
      t = naive(year - 1, month, day, hour, minute, second) - shift;
    }
    return tz === null ? this.localToEpoch(t) : t;
  }
}
