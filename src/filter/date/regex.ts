/**
 * A date template's regex: fail2ban's boundary rules (word guards, `{^LN-BEG}`, `**`, the
 * date group) applied to a Python-syntax pattern, then turned into a JavaScript RegExp.
 * Only the Python constructs that date patterns use are translated here.
 */

/** Word characters: ASCII `\w` plus common Unicode letter ranges (Python's `\w` is Unicode). */
const WORD_RANGES: readonly (readonly [number, number])[] = [
  [0xaa, 0xaa], [0xb5, 0xb5], [0xba, 0xba], [0xc0, 0xd6], [0xd8, 0xf6], [0xf8, 0x2ff], [0x370, 0x3ff],
  [0x400, 0x52f], [0x590, 0x6ff], [0x900, 0xdff], [0x3040, 0x9fff], [0xac00, 0xd7af],
];
const hex = (n: number): string => `\\u${n.toString(16).padStart(4, '0')}`;
const WORD_INNER = '\\w' + WORD_RANGES.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('');

export function isWordChar(code: number): boolean {
  if (code < 128) {
    return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
  }
  for (const [a, b] of WORD_RANGES) if (code >= a && code <= b) return true;
  return false;
}

/** fail2ban's `(?=^|\b|\W)` and `(?=\b|\W|$)`: both mean "not between two word characters". */
const GUARD = `(?:(?<![${WORD_INNER}])|(?![${WORD_INNER}]))`;
/** fail2ban's `^(?:\W{0,2})?`: line start, up to two non-word characters allowed. */
const LINE_START = `^(?:[^${WORD_INNER}]{0,2})?`;

const NO_WORD_BOUND_BEG = /^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)/;
const NO_WORD_BOUND_END = /(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$/;
const HAS_PLAIN_GROUP = /(?<!\(\?)(?<!\\)\((?!\?)/;
const SPLIT_FOR_GROUP = /^((?:\(\?\w+\))?\^?(?:\(\?\w+\))?)(.*?)(\$?)$/s;
const LINE_BOUND_BEG = /^(?:\(\?\w+\))?(?:\^|\(\?:\^(?!\|))/;
const LINE_BOUND_END = /(?<![\\|])(?:\$\)?)$/;
const STARS_BEG = /^\(*(?:\(\?\w+\))?\(*\*\*/;
const STARS_END = /(?<!\\)\*\*\)*$/;

export type WordBegin = boolean | 'start';

interface Converted {
  js: string;
  ignoreCase: boolean;
  /** Index in `js` of the first capturing group's `(`, -1 if none. */
  firstGroup: number;
  firstGroupDepth: number;
  topLevelAlt: boolean;
  numericBackref: boolean;
  /** Names of the capturing groups in order (null = unnamed). */
  captures: (string | null)[];
}

/** Named backreference placeholder, resolved to a number once group numbering is final. */
const BACKREF = /\u0000(\w+)\u0000/g;

/** Python `re` → JavaScript for the subset date patterns use. Throws Error when unsupported. */
function pythonToJs(py: string): Converted {
  let js = '';
  let ignoreCase = false;
  let depth = 0;
  let firstGroup = -1;
  let firstGroupDepth = 0;
  let topLevelAlt = false;
  let numericBackref = false;
  const captures: (string | null)[] = [];
  const capture = (name: string | null): void => {
    captures.push(name);
    if (firstGroup < 0) {
      firstGroup = js.length;
      firstGroupDepth = depth;
    }
  };
  for (let i = 0; i < py.length; i++) {
    const c = py.charAt(i);
    if (c === '\\') {
      const n = py.charAt(i + 1);
      if (n === 'A') js += '^';
      else if (n === 'Z') js += '$';
      else {
        if (n >= '1' && n <= '9') numericBackref = true;
        js += c + n;
      }
      i++;
    } else if (c === '[') {
      let j = i + 1;
      if (py[j] === '^') j++;
      if (py[j] === ']') j++;
      while (j < py.length && py[j] !== ']') j += py[j] === '\\' ? 2 : 1;
      js += py.slice(i, j + 1);
      i = j;
    } else if (c === '(') {
      if (py[i + 1] !== '?') {
        capture(null);
        js += '(';
        depth++;
        continue;
      }
      const rest = py.slice(i + 2);
      let m: RegExpExecArray | null;
      if ((m = /^P<(\w+)>/.exec(rest)) ?? (m = /^<(\w+)>/.exec(rest))) {
        // named groups become plain ones: positional access is much cheaper than match.groups
        capture(m[1] ?? '');
        js += '(';
        depth++;
        i += 1 + m[0].length;
      } else if ((m = /^P=(\w+)\)/.exec(rest))) {
        js += `\u0000${m[1] ?? ''}\u0000`;
        i += 1 + m[0].length;
      } else if ((m = /^#[^)]*\)/.exec(rest))) {
        i += 1 + m[0].length;
      } else if ((m = /^([aiLmsux]+)\)/.exec(rest))) {
        const flags = m[1] ?? '';
        if (flags.includes('i')) ignoreCase = true;
        if (/[Lmsx]/.test(flags)) throw new Error(`unsupported inline flags '(?${flags})'`);
        i += 1 + m[0].length;
      } else if ((m = /^([aiLmsux]+):/.exec(rest))) {
        if (m[1] !== 'u' && m[1] !== 'a') throw new Error(`unsupported scoped flags '(?${m[1] ?? ''}:'`);
        js += '(?:';
        depth++;
        i += 1 + m[0].length;
      } else if (rest.startsWith('(')) {
        throw new Error('conditional groups are not supported in date patterns');
      } else {
        js += '(?';
        depth++;
        i += 1;
      }
    } else if (c === ')') {
      js += c;
      depth--;
    } else if (c === '|') {
      if (depth === 0) topLevelAlt = true;
      js += c;
    } else if (c === '{' && py[i + 1] === ',') {
      js += '{0';
    } else {
      js += c;
    }
  }
  return { js, ignoreCase, firstGroup, firstGroupDepth, topLevelAlt, numericBackref, captures };
}

export interface DateRegexOptions {
  ignoreCase?: boolean;
  wordBegin?: WordBegin;
  wordEnd?: boolean;
}

/**
 * Compiled template regex. After a successful search: `start`/`end` = whole match (used for
 * template caching), `dateStart`/`dateEnd` = the date text (group 1 in fail2ban), and
 * `group(name)` reads a named group of the pattern.
 */
export class DateRegex {
  readonly source: string;
  /** The start guard was added (fail2ban then prefixes `{^LN-BEG}` to start-anchored names). */
  readonly boundBegin: boolean;
  readonly lineBegin: boolean;
  readonly lineEnd: boolean;
  start = 0;
  end = 0;
  dateStart = 0;
  dateEnd = 0;
  /** Match array of the last successful search. */
  last: RegExpExecArray | null = null;
  /** Group name → index in the match array (first occurrence). */
  readonly index: ReadonlyMap<string, number>;
  private readonly re: RegExp;
  private readonly sticky: RegExp;
  private readonly mode: 'pre' | 'indices' | 'whole';

  constructor(pyRegex: string, opts: DateRegexOptions = {}) {
    const wordBegin = opts.wordBegin ?? true;
    const wordEnd = opts.wordEnd ?? true;
    let body = pyRegex.trim();
    this.boundBegin = wordBegin !== false && !NO_WORD_BOUND_BEG.test(body);
    const boundEnd = wordEnd && !NO_WORD_BOUND_END.test(body);
    if (!HAS_PLAIN_GROUP.test(body)) {
      const m = SPLIT_FOR_GROUP.exec(body);
      if (m) body = `${m[1] ?? ''}(${m[2] ?? ''})${m[3] ?? ''}`;
    }
    const start = this.boundBegin && wordBegin === 'start';
    this.lineBegin = start || (!this.boundBegin && LINE_BOUND_BEG.test(body));
    this.lineEnd = !boundEnd && LINE_BOUND_END.test(body);
    body = body.replace(STARS_BEG, (s) => s.replace('**', '')).replace(STARS_END, (s) => s.replace('**', ''));
    const cv = pythonToJs(body);
    const prefix = this.boundBegin ? (start ? LINE_START : GUARD) : '';
    const suffix = boundEnd ? GUARD : '';
    let src: string;
    if (cv.firstGroup < 0) {
      this.mode = 'whole';
      src = prefix + cv.js + suffix;
    } else if (cv.firstGroupDepth === 0 && !cv.topLevelAlt && !cv.numericBackref) {
      // wrap everything before the date group in a group of its own: its length gives the date start
      this.mode = 'pre';
      src = `(${prefix}${cv.js.slice(0, cv.firstGroup)})${cv.js.slice(cv.firstGroup)}${suffix}`;
    } else {
      this.mode = 'indices';
      src = prefix + cv.js + suffix;
    }
    const shift = this.mode === 'pre' ? 2 : 1;
    const index = new Map<string, number>();
    cv.captures.forEach((name, i) => {
      if (name !== null && !index.has(name)) index.set(name, i + shift);
    });
    this.index = index;
    src = src.replace(BACKREF, (_m, name: string) => {
      const n = index.get(name);
      if (n === undefined) throw new Error(`unknown group name '${name}'`);
      return `(?:\\${n})`;
    });
    const flags = (opts.ignoreCase === true || cv.ignoreCase ? 'i' : '') + (this.mode === 'indices' ? 'd' : '');
    this.source = src;
    this.re = new RegExp(src, flags + 'g');
    this.sticky = new RegExp(src, flags + 'y');
  }

  /** Search the whole line. */
  search(line: string): boolean {
    this.re.lastIndex = 0;
    return this.take(this.re.exec(line));
  }

  /** Match starting exactly at `pos`, with the line seen as ending at `endpos`. */
  matchAt(line: string, pos: number, endpos: number): boolean {
    this.sticky.lastIndex = pos;
    const m = this.sticky.exec(line);
    // a match ending exactly at endpos is also the first match in the cut line: skip the slice
    if (endpos >= line.length || (m !== null && m.index + m[0].length === endpos)) return this.take(m);
    this.sticky.lastIndex = pos;
    return this.take(this.sticky.exec(line.slice(0, endpos)));
  }

  private take(m: RegExpExecArray | null): boolean {
    if (m === null) return false;
    this.last = m;
    this.start = m.index;
    this.end = m.index + m[0].length;
    if (this.mode === 'pre') {
      this.dateStart = m.index + (m[1] ?? '').length;
      this.dateEnd = this.dateStart + (m[2] ?? '').length;
    } else if (this.mode === 'indices') {
      const r = m.indices?.[1];
      this.dateStart = r ? r[0] : this.start;
      this.dateEnd = r ? r[1] : this.start;
    } else {
      this.dateStart = this.start;
      this.dateEnd = this.end;
    }
    return true;
  }
}
