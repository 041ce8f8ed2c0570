/**
 * Date fields → epoch seconds with fail2ban's rules: missing year = this year (last year when
 * that lands more than a day in the future), missing month and day = today (yesterday when
 * in the future), 2-digit years are 20xx, explicit zone > logtimezone > local time.
 * Local time uses JavaScript's Date (follows process.env.TZ), cached per 15 minutes so the
 * hot path allocates nothing.
 */
import type { Clock } from '../../core/clock.js';
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

  /** Fill from a template regex's named groups (Python's strptime group names). */
  fromGroups(g: Record<string, string | undefined>): this {
    this.reset();
    let ampm = '';
    let hour12 = -1;
    for (const key in g) {
      const v = g[key];
      if (v === undefined) continue;
      switch (key) {
        case 'y':
          this.year = Number(v) + 2000;
          break;
        case 'Y':
          this.year = Number(v);
          break;
        case 'm':
          this.month = Number(v);
          break;
        case 'b':
        case 'B':
          this.month = MONTH_INDEX.get(v.toLowerCase()) ?? -1;
          break;
        case 'd':
          this.day = Number(v);
          break;
        case 'H':
          this.hour = Number(v);
          break;
        case 'I':
          hour12 = Number(v);
          break;
        case 'p':
          ampm = v.toLowerCase();
          break;
        case 'M':
          this.minute = Number(v);
          break;
        case 'S':
          this.second = Number(v);
          break;
        case 'a':
        case 'A':
          this.weekday = WEEKDAY_INDEX.get(v.toLowerCase()) ?? -1;
          break;
        case 'w':
          this.weekday = (Number(v) + 6) % 7;
          break;
        case 'j':
          this.julian = Number(v);
          break;
        case 'U':
        case 'W':
          this.week = Number(v);
          this.weekStartsMonday = key === 'W';
          break;
        case 'z':
        case 'Z':
          this.tz = zoneOffset(v) ?? NaN;
          break;
        default:
          break;
      }
    }
    if (hour12 >= 0) {
      if (ampm === 'pm') this.hour = hour12 === 12 ? 12 : hour12 + 12;
      else this.hour = hour12 === 12 ? 0 : hour12;
    }
    return this;
  }
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (MONTH_DAYS[month - 1] ?? 0);
}

/** Seconds of a wall-clock time read as if it were UTC ("naive" time). */
function naive(year: number, month: number, day: number, h: number, m: number, s: number): number {
  return Date.UTC(year, month - 1, day, h, m, s) / 1000;
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

  constructor(
    private readonly clock: Clock,
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
  toEpoch(f: DateFields): number {
    const now = this.clock.now();
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
