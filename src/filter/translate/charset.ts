/**
 * Code point sets (sorted, non-overlapping inclusive ranges) and the Unicode data a Python `str`
 * pattern needs: `\w \d \s` membership and `re.IGNORECASE` equivalence. The tables are derived
 * at run time from V8's own Unicode data (`\p{…}` on a `u` regex), once, lazily, and only for the
 * part of the code space a translation needs (ASCII / BMP / all).
 */

export const MAX_CP = 0x10ffff;

/** Flat list [lo0, hi0, lo1, hi1, …], sorted and merged. */
export type Ranges = readonly number[];

export function rangesOf(pairs: readonly (readonly [number, number])[]): Ranges {
  const sorted = [...pairs].filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [lo, hi] of sorted) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) {
      if (hi > out[n - 1]!) out[n - 1] = hi;
    } else out.push(lo, hi);
  }
  return out;
}

export function pairsOf(r: Ranges): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) out.push([r[i]!, r[i + 1]!]);
  return out;
}

export function union(...sets: Ranges[]): Ranges {
  return rangesOf(sets.flatMap(pairsOf));
}

export function complement(r: Ranges, lo = 0, hi = MAX_CP): Ranges {
  const out: number[] = [];
  let next = lo;
  for (let i = 0; i < r.length; i += 2) {
    const a = Math.max(r[i]!, lo);
    const b = Math.min(r[i + 1]!, hi);
    if (a > b) continue;
    if (a > next) out.push(next, a - 1);
    next = b + 1;
  }
  if (next <= hi) out.push(next, hi);
  return out;
}

export function intersect(r: Ranges, lo: number, hi: number): Ranges {
  const out: number[] = [];
  for (let i = 0; i < r.length; i += 2) {
    const a = Math.max(r[i]!, lo);
    const b = Math.min(r[i + 1]!, hi);
    if (a <= b) out.push(a, b);
  }
  return out;
}

export function subtract(r: Ranges, s: Ranges): Ranges {
  const out: number[] = [];
  for (const [lo, hi] of pairsOf(r)) out.push(...complement(s, lo, hi));
  return rangesOf(pairsOf(out));
}

export function has(r: Ranges, cp: number): boolean {
  for (let i = 0; i < r.length; i += 2) {
    if (cp < r[i]!) return false;
    if (cp <= r[i + 1]!) return true;
  }
  return false;
}

export function size(r: Ranges): number {
  let n = 0;
  for (let i = 0; i < r.length; i += 2) n += r[i + 1]! - r[i]! + 1;
  return n;
}

/** How far a table must reach: ASCII texts, BMP texts, or texts with astral code points. */
export type Extent = 'ascii' | 'bmp' | 'full';
export const EXTENT_MAX: Record<Extent, number> = { ascii: 0x7f, bmp: 0xffff, full: MAX_CP };

const SURROGATES: Ranges = [0xd800, 0xdfff];

/**
 * The code points up to `max` (surrogates aside) in runs of `runs`, a global Unicode regex matching
 * runs of the wanted characters: one regex search over a string of all code points finds the
 * ranges (a test per code point took ~14 ms for the BMP and ~200 ms for all of Unicode).
 */
const UTF16 = new TextDecoder('utf-16le');

function scan(runs: RegExp, max: number): Ranges {
  const out: number[] = [];
  const segment = (lo: number, hi: number): void => {
    if (lo > hi) return;
    // astral code points take two UTF-16 units each
    const unit = lo > 0xffff ? 2 : 1;
    const units = new Uint16Array((hi - lo + 1) * unit);
    for (let cp = lo, i = 0; cp <= hi; cp++) {
      if (unit === 1) units[i++] = cp;
      else {
        units[i++] = 0xd800 + ((cp - 0x10000) >> 10);
        units[i++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      }
    }
    const text = UTF16.decode(units);
    for (const m of text.matchAll(runs)) out.push(lo + m.index / unit, lo + (m.index + m[0].length) / unit - 1);
  };
  segment(0, Math.min(max, 0xd7ff));
  segment(0xe000, Math.min(max, 0xffff));
  segment(0x10000, max);
  return rangesOf(pairsOf(out));
}

// Python str patterns: \w = str.isalnum() or '_' (categories L*, N*), \d = category Nd,
// \s = str.isspace() (Zs plus bidi classes WS/B/S: includes \x1c-\x1f and \x85, not \ufeff).
const WORD_RUNS = /[\p{L}\p{N}_]+/gu;
const DIGIT_RUNS = /\p{Nd}+/gu;
export const PY_SPACE: Ranges = rangesOf([
  [0x09, 0x0d],
  [0x1c, 0x20],
  [0x85, 0x85],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
]);
export const ASCII_WORD: Ranges = rangesOf([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
export const ASCII_DIGIT: Ranges = [0x30, 0x39];
export const ASCII_SPACE: Ranges = [0x09, 0x0d, 0x20, 0x20];

export type Category = 'd' | 'w' | 's';

const catCache = new Map<string, Ranges>();

/** Python's category set, restricted to `extent` (ascii: the `(?a)` flag or ASCII-only texts). */
export function categorySet(cat: Category, extent: Extent, asciiFlag: boolean): Ranges {
  if (asciiFlag) return cat === 'w' ? ASCII_WORD : cat === 'd' ? ASCII_DIGIT : ASCII_SPACE;
  if (cat === 's') return intersect(PY_SPACE, 0, EXTENT_MAX[extent]);
  const key = `${cat}:${extent}`;
  let r = catCache.get(key);
  if (!r) {
    r = scan(cat === 'w' ? WORD_RUNS : DIGIT_RUNS, EXTENT_MAX[extent]);
    catCache.set(key, r);
  }
  return r;
}

// --- case-insensitive matching (Python 3.11 sre, str patterns) ---------------------------------
// A cased char c matches x iff lower(x) ∈ {lower(c)} ∪ EXTRA[lower(c)], where lower is the simple
// lowercase mapping. EXTRA: Unicode characters that fold together without sharing a lowercase form
// (the table Python builds from Unicode data in re._casefix).
const EXTRA: Record<number, number[]> = {
  105: [305], 115: [383], 181: [956], 305: [105], 383: [115], 837: [953, 8126], 912: [8147],
  944: [8163], 946: [976], 949: [1013], 952: [977], 953: [837, 8126], 954: [1008], 956: [181],
  960: [982], 961: [1009], 962: [963], 963: [962], 966: [981], 976: [946], 977: [952], 981: [966],
  982: [960], 1008: [954], 1009: [961], 1013: [949], 1074: [7296], 1076: [7297], 1086: [7298],
  1089: [7299], 1090: [7300, 7301], 1098: [7302], 1123: [7303], 7296: [1074], 7297: [1076],
  7298: [1086], 7299: [1089], 7300: [1090, 7301], 7301: [1090, 7300], 7302: [1098], 7303: [1123],
  7304: [42571], 7777: [7835], 7835: [7777], 8126: [837, 953], 8147: [912], 8163: [944],
  42571: [7304], 64261: [64262], 64262: [64261],
};

/** Simple lowercase mapping (first code point of the full mapping, as CPython's tables give). */
export function lower(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  if (cp >= 0xd800 && cp <= 0xdfff) return cp;
  return String.fromCodePoint(cp).toLowerCase().codePointAt(0)!;
}

function upper(cp: number): number {
  if (cp < 0x80) return cp >= 0x61 && cp <= 0x7a ? cp - 32 : cp;
  if (cp >= 0xd800 && cp <= 0xdfff) return cp;
  const u = String.fromCodePoint(cp).toUpperCase();
  return u.length === String.fromCodePoint(cp).length ? u.codePointAt(0)! : cp;
}

export function isCased(cp: number): boolean {
  return lower(cp) !== cp || upper(cp) !== cp;
}

/** lower-case value -> every code point (other than itself) whose lowercase is that value. */
let inverseLower: Map<number, number[]> | null = null;
let inverseExtent = -1;

function inverse(max: number): Map<number, number[]> {
  if (!inverseLower || inverseExtent < max) {
    const m = new Map<number, number[]>();
    for (let cp = 0; cp <= max; cp++) {
      if (cp === 0xd800) cp = 0xe000;
      const lo = lower(cp);
      if (lo === cp) continue;
      const list = m.get(lo);
      if (list) list.push(cp);
      else m.set(lo, [cp]);
    }
    inverseLower = m;
    inverseExtent = max;
  }
  return inverseLower;
}

/**
 * The IGNORECASE closure of a set of pattern characters (positive part only: negation is applied
 * by the caller after closing, as Python does). `extent` bounds the result.
 */
export function caseClosure(r: Ranges, extent: Extent): Ranges {
  const max = EXTENT_MAX[extent];
  const lows = new Set<number>();
  for (const [lo, hi] of pairsOf(r)) {
    for (let cp = lo; cp <= hi; cp++) {
      if (cp === 0xd800) cp = 0xe000;
      if (cp > hi) break;
      const l = lower(cp);
      lows.add(l);
      for (const e of EXTRA[l] ?? []) lows.add(e);
    }
  }
  const pairs: [number, number][] = pairsOf(intersect(r, 0, max));
  const inv = extent === 'ascii' ? null : inverse(max);
  for (const l of lows) {
    if (l <= max) pairs.push([l, l]);
    if (inv) for (const x of inv.get(l) ?? []) pairs.push([x, x]);
    else if (l >= 0x61 && l <= 0x7a) pairs.push([l - 32, l - 32]);
  }
  return rangesOf(pairs);
}

export { SURROGATES };
