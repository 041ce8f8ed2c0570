/**
 * strptime-like directives of fail2ban date patterns: their regexes (fail2ban's overrides of
 * Python's defaults, C locale) and the placeholder names shown by fail2ban-regex.
 */
import { TZ_ABBR_RE } from './timezone.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEKDAYS_FULL = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTHS_FULL = [
  'january', 'february', 'march', 'april', 'may', 'june',
  'july', 'august', 'september', 'october', 'november', 'december',
];

/** Lower-case names → index (weekday: Monday = 0; month: January = 1). */
export const WEEKDAY_INDEX = new Map<string, number>([
  ...WEEKDAYS.map((n, i) => [n, i] as const),
  ...WEEKDAYS_FULL.map((n, i) => [n, i] as const),
]);
export const MONTH_INDEX = new Map<string, number>([
  ...MONTHS.map((n, i) => [n, i + 1] as const),
  ...MONTHS_FULL.map((n, i) => [n, i + 1] as const),
]);

/** Longest alternative first, as Python's strptime builds them (stable for equal lengths). */
function alternation(words: readonly string[]): string {
  return [...words].sort((a, b) => b.length - a.length).join('|');
}

/**
 * Years allowed by `%ExY`/`%Exy`: whole decades around the clock's year and the real year,
 * and always 2000 onwards (fail2ban builds the range from min(alternate now, 2001-01-02)).
 */
export interface YearSpec {
  /** year / 10 values accepted by %ExY. */
  readonly decades: ReadonlySet<number>;
  readonly re4: string;
  readonly re2: string;
}

export function yearSpec(clockYear: number, realYear: number): YearSpec {
  const from = Math.min(clockYear, realYear, 2001) - 1;
  const to = Math.max(clockYear, realYear) + 3;
  const decades = new Set<number>();
  const digits = new Set<string>();
  for (let y = from; y <= to; y++) {
    decades.add(Math.floor(y / 10));
    digits.add(String(y).charAt(2));
  }
  const re4 = `(?:${[...decades].sort((a, b) => a - b).join('|')})\\d`;
  const re2 = `[${[...digits].sort().join('')}]\\d`;
  return { decades, re4, re2 };
}

const ZONE_OFFSET = '[+-][01]\\d(?::?\\d{2})?';

/** Directive → regex (named groups; `%k`/`%l` carry their optional leading space). */
function directiveRegexes(years: YearSpec): Record<string, string> {
  return {
    Y: '(?<Y>\\d\\d\\d\\d)',
    y: '(?<y>\\d\\d)',
    m: '(?<m>0?[1-9]|1[0-2])',
    d: '(?<d>[1-2]\\d|[0 ]?[1-9]|3[0-1])',
    H: '(?<H>[0-1]?\\d|2[0-3])',
    M: '(?<M>[0-5]?\\d)',
    S: '(?<S>[0-5]?\\d|6[0-1])',
    k: ' ?(?<H>[0-2]?\\d)',
    l: ' ?(?<I>1?\\d)',
    I: '(?<I>1[0-2]|0[1-9]|[1-9])',
    p: '(?<p>am|pm)',
    a: `(?<a>${alternation(WEEKDAYS)})`,
    A: `(?<A>${alternation(WEEKDAYS_FULL)})`,
    b: `(?<b>${alternation(MONTHS)})`,
    B: `(?<B>${alternation(MONTHS_FULL)})`,
    f: '(?<f>[0-9]{1,6})',
    j: '(?<j>36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])',
    U: '(?<U>5[0-3]|[0-4]\\d|\\d)',
    W: '(?<W>5[0-3]|[0-4]\\d|\\d)',
    w: '(?<w>[0-6])',
    G: '(?<G>\\d\\d\\d\\d)',
    u: '(?<u>[1-7])',
    V: '(?<V>5[0-3]|0[1-9]|[1-4]\\d|\\d)',
    z: `(?<z>Z|UTC|GMT|${ZONE_OFFSET})`,
    Z: '(?<Z>Z|[A-Z]{3,5})',
    ExZ: `(?<Z>${TZ_ABBR_RE})`,
    Exz: `(?<z>(?:${TZ_ABBR_RE})?${ZONE_OFFSET}|${TZ_ABBR_RE})`,
    Exd: '(?<d>[1-2]\\d|0[1-9]|3[0-1])',
    Exm: '(?<m>0[1-9]|1[0-2])',
    ExH: '(?<H>[0-1]\\d|2[0-3])',
    Exk: ' ?(?<H>[0-1]?\\d|2[0-3])',
    Exl: ' ?(?<I>1[0-2]|\\d)',
    ExM: '(?<M>[0-5]\\d)',
    ExS: '(?<S>[0-5]\\d|6[0-1])',
    ExY: `(?<Y>${years.re4})`,
    Exy: `(?<y>${years.re2})`,
  };
}

/** C-locale compound directives, expanded before translation. */
const COMPOUND: Record<string, string> = { c: '%a %b %d %H:%M:%S %Y', x: '%m/%d/%y', X: '%H:%M:%S' };

const NAMES: Record<string, string> = {
  a: 'DAY', A: 'DAYNAME', b: 'MON', B: 'MONTH', d: 'Day', H: '24hour', I: '12hour', j: 'Yearday',
  m: 'Month', M: 'Minute', p: 'AMPM', S: 'Second', U: 'Yearweek', w: 'Weekday', W: 'Yearweek',
  y: 'Year2', Y: 'Year', z: 'Zone offset', f: 'Microseconds', Z: 'Zone name',
};

function displayName(key: string): string {
  const n = NAMES[key];
  if (n !== undefined) return n;
  if (key.startsWith('Ex')) {
    const base = NAMES[key.slice(2)];
    if (base !== undefined) return 'Ex' + base;
  }
  return '%' + key;
}

const MULTI_KEYS = ['ExZ', 'Exz', 'Exd', 'Exm', 'ExH', 'Exk', 'Exl', 'ExM', 'ExS', 'ExY', 'Exy'];
const SINGLE_KEYS = new Set('YymdHMSklIpaAbBfjUWwGuVzZcxX'.split(''));

export interface TranslatedPattern {
  /** fail2ban-regex display name (Python regex syntax kept, directives as placeholders). */
  name: string;
  /** Regex body: directives replaced by named groups; other text untouched. */
  regex: string;
  /** Pattern uses names (`%a %A %b %B %p %c`): match case-insensitively. */
  ignoreCase: boolean;
}

/** Replace `%X` directives; throws Error on an unknown directive or a stray `%`. */
export function translateDirectives(pattern: string, years: YearSpec): TranslatedPattern {
  const re = directiveRegexes(years);
  let name = '';
  let regex = '';
  let ignoreCase = false;
  // fail2ban turns each known directive into `%(X)s` and lets Python's % operator find the rest
  let known = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c !== '%') {
      name += c;
      regex += c;
      continue;
    }
    const next = pattern.charAt(i + 1);
    if (next === '%') {
      name += '%';
      regex += '%';
      i++;
      continue;
    }
    const three = pattern.slice(i + 1, i + 4);
    let key: string | undefined;
    if (MULTI_KEYS.includes(three)) key = three;
    else if (SINGLE_KEYS.has(next)) key = next;
    if (key === undefined) {
      if (next === '') throw new Error('incomplete format');
      const code = next.codePointAt(0)!.toString(16);
      throw new Error(`unsupported format character '${next}' (0x${code}) at index ${i + 3 * known + 1}`);
    }
    known++;
    i += key.length;
    name += displayName(key);
    const compound = COMPOUND[key];
    if (compound !== undefined) {
      const sub = translateDirectives(compound, years);
      regex += sub.regex;
      ignoreCase = true;
    } else {
      regex += re[key] ?? '';
      if ('aAbBp'.includes(key)) ignoreCase = true;
    }
  }
  return { name, regex, ignoreCase };
}
