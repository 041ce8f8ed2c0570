/**
 * AST -> JavaScript RegExp source, for one "variant" of the input text:
 *
 * - extent: ASCII-only text, BMP text, or text with astral code points. Python matches code
 *   points; without the `u` flag JS matches UTF-16 units, so for astral text every character
 *   class is emitted as BMP class | surrogate pairs. For ASCII text all classes shrink to ASCII
 *   and `\b` can be JS's own (Python's Unicode `\w` equals `[A-Za-z0-9_]` on ASCII).
 *   We never use the `u` or `i` flags: V8's linear-time fallback engine supports neither.
 *   `\w \d \s` become explicit code point classes equal to Python's (not JS's) definitions.
 * - clean: the text has no line terminators other than `\n` that JS would honour (`\r`, U+2028,
 *   U+2029) — and in single-line mode no `\n` except the final one — so the `m` flag gives exactly
 *   Python's `^`/`$`. Otherwise anchors are emitted with lookarounds (no `m` flag).
 *
 * Capturing groups are emitted unnamed; `groupMap[i]` is the Python group number of JS group i
 * (0 for helper groups). A Python group may own several JS groups (copies, see conditional.ts).
 */
import type { Node } from './ast.js';
import { children } from './ast.js';
import type { Extent, Ranges } from './charset.js';
import {
  caseClosure,
  categorySet,
  complement,
  EXTENT_MAX,
  intersect,
  isCased,
  MAX_CP,
  pairsOf,
  rangesOf,
  subtract,
  SURROGATES,
  union,
} from './charset.js';

export interface Variant {
  extent: Extent;
  clean: boolean;
  /**
   * Reduced alphabet (see reduce.ts): the text has been mapped to ASCII plus one representative
   * per class of equivalent non-ASCII characters, so every class is cut down to these.
   */
  alphabet?: Ranges;
  /**
   * Emit a lookaround-free superset instead: lookarounds become empty and backreferences
   * `[\s\S]*`. Every match of the real pattern is a match of this one (see compile.ts: gate).
   */
  superset?: boolean;
}

export interface Emitted {
  source: string;
  flags: string;
  groupMap: number[];
}

interface Out {
  src: string;
  /** Can take a quantifier without wrapping. */
  atom: boolean;
}

function hex4(u: number): string {
  return '\\u' + u.toString(16).padStart(4, '0');
}

function unit(u: number): string {
  if ((u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5a) || (u >= 0x61 && u <= 0x7a) || u === 0x5f) {
    return String.fromCharCode(u);
  }
  if (u >= 0x20 && u < 0x7f) {
    const c = String.fromCharCode(u);
    return '\\^$.|?*+()[]{}/-'.includes(c) ? '\\' + c : c;
  }
  return u < 0x100 ? '\\x' + u.toString(16).padStart(2, '0') : hex4(u);
}

function classBody(r: Ranges): string {
  let s = '';
  for (const [lo, hi] of pairsOf(r)) {
    s += unit(lo);
    if (hi > lo) s += (hi > lo + 1 ? '-' : '') + unit(hi);
  }
  return s;
}

function countRanges(r: Ranges): number {
  return r.length / 2;
}

/** A BMP code unit class; `neg` is its complement within the BMP (including surrogates). */
function bmpClass(pos: Ranges, neg: Ranges): string {
  if (pos.length === 0) return '[]';
  if (countRanges(neg) < countRanges(pos)) return neg.length === 0 ? '[^]' : `[^${classBody(neg)}]`;
  if (pos.length === 2 && pos[0] === pos[1]) return unit(pos[0]!);
  return `[${classBody(pos)}]`;
}

function astral(r: Ranges): string[] {
  const out: string[] = [];
  for (const [lo, hi] of pairsOf(r)) {
    const hl = 0xd800 + ((lo - 0x10000) >> 10);
    const ll = 0xdc00 + ((lo - 0x10000) & 0x3ff);
    const hh = 0xd800 + ((hi - 0x10000) >> 10);
    const lh = 0xdc00 + ((hi - 0x10000) & 0x3ff);
    const lowRange = (a: number, b: number): string => (a === b ? hex4(a) : `[${hex4(a)}-${hex4(b)}]`);
    if (hl === hh) {
      out.push(hex4(hl) + lowRange(ll, lh));
      continue;
    }
    let midLo = hl;
    let midHi = hh;
    if (ll !== 0xdc00) {
      out.push(hex4(hl) + lowRange(ll, 0xdfff));
      midLo++;
    }
    const tail = lh !== 0xdfff ? hex4(hh) + lowRange(0xdc00, lh) : null;
    if (tail) midHi--;
    if (midLo <= midHi) out.push(lowRange(midLo, midHi) + '[\\udc00-\\udfff]');
    if (tail) out.push(tail);
  }
  return out;
}

/** A set of code points as a JS (non-`u`) pattern matching exactly one code point of it. */
export function emitSet(r: Ranges, extent: Extent): Out {
  const max = EXTENT_MAX[extent];
  if (extent === 'ascii') {
    const pos = intersect(r, 0, max);
    return { src: bmpClass(pos, complement(pos, 0, max)), atom: true };
  }
  const pos = subtract(intersect(r, 0, 0xffff), SURROGATES);
  if (extent === 'bmp') {
    // bmp texts contain no surrogates, so the negated form may include them freely
    return { src: bmpClass(pos, complement(union(pos, SURROGATES), 0, 0xffff)), atom: true };
  }
  const b = bmpClass(pos, complement(pos, 0, 0xffff));
  const astr = astral(intersect(r, 0x10000, MAX_CP));
  if (astr.length === 0) return { src: b, atom: true };
  const parts = b === '[]' ? astr : [b, ...astr];
  return { src: `(?:${parts.join('|')})`, atom: true };
}

interface Ctx {
  v: Variant;
  /** The text may hold several `\n` (multi-line mode): non-M anchors must not use `m`. */
  multiText: boolean;
  groupMap: number[];
  /** Python group number -> JS group numbers (complete after the first pass). */
  jsGroups: Map<number, number[]>;
  wordCache: string | null;
}

function word(ctx: Ctx, ascii: boolean): string {
  if (ascii) return '[A-Za-z0-9_]';
  ctx.wordCache ??= setOut(ctx, categorySet('w', ctx.v.extent, false)).src;
  return ctx.wordCache;
}

function setOut(ctx: Ctx, r: Ranges): Out {
  const a = ctx.v.alphabet;
  if (!a) return emitSet(r, ctx.v.extent);
  const pos = subtract(a, subtract(a, r));
  return { src: bmpClass(pos, subtract(a, pos)), atom: true };
}

/**
 * Every character set the pattern tests (BMP), or null when reduction is unsound (backrefs). With
 * `superset`, the sets of its lookaround-free superset (emit's `superset`), where a backreference
 * reads any text and so never makes reduction unsound.
 */
export function patternSets(root: Node, superset = false): Ranges[] | null {
  const out: Ranges[] = [];
  const state = { ok: true };
  const walk = (n: Node): void => {
    switch (n.t) {
      case 'lit':
        out.push(n.ci && isCased(n.cp) ? caseClosure([n.cp, n.cp], 'bmp') : [n.cp, n.cp]);
        return;
      case 'set':
        out.push(setRanges(n, 'bmp'));
        return;
      case 'any':
        out.push(n.dotall ? [0, 0xffff] : complement([10, 10], 0, 0xffff));
        return;
      case 'wordb':
        out.push(categorySet('w', 'bmp', n.ascii));
        return;
      case 'backref':
        // the superset reads any text there: no set to respect
        if (!superset) state.ok = false;
        return;
      default:
        for (const c of children(n)) walk(c);
    }
  };
  walk(root);
  return state.ok ? out : null;
}

function setRanges(n: Node & { t: 'set' }, extent: Extent): Ranges {
  const max = EXTENT_MAX[extent];
  const plain: [number, number][] = [];
  const cats: Ranges[] = [];
  for (const it of n.items) {
    if (it.cat) {
      const c = categorySet(it.cat, extent, n.ascii);
      cats.push(it.neg ? complement(c, 0, max) : c);
    } else plain.push([it.lo, it.hi]);
  }
  let lits = rangesOf(plain);
  if (n.ci && pairsOf(lits).some(([lo, hi]) => hi - lo > 64 || rangeCased(lo, hi))) lits = caseClosure(lits, extent);
  const all = intersect(union(lits, ...cats), 0, max);
  return n.negate ? complement(all, 0, max) : all;
}

function rangeCased(lo: number, hi: number): boolean {
  for (let cp = lo; cp <= hi; cp++) if (isCased(cp)) return true;
  return false;
}

function anchor(kind: 'bol' | 'eol' | 'bos' | 'eos', multiline: boolean, ctx: Ctx): string {
  const { clean } = ctx.v;
  // Python: ^ (no M) / \A = start; $ (no M) = end or before a final \n; \Z = end;
  // with M: ^ = start or after \n, $ = end or before \n.
  if (kind === 'bos' || (kind === 'bol' && !multiline)) return clean ? '(?<![\\s\\S])' : '^';
  if (kind === 'eos') return clean ? '(?![\\s\\S])' : '$';
  if (kind === 'bol') return clean ? '^' : '(?:^|(?<=\\n))';
  if (multiline) return clean ? '$' : '(?:$|(?=\\n))';
  if (clean && !ctx.multiText) return '$';
  return clean ? '(?:(?![\\s\\S])|(?=\\n(?![\\s\\S])))' : '(?:$|(?=\\n$))';
}

function emitNode(n: Node, ctx: Ctx): Out {
  const { extent } = ctx.v;
  switch (n.t) {
    case 'empty':
      return { src: '', atom: false };
    case 'fail':
      return { src: '[]', atom: true };
    case 'lit': {
      if (n.ci && isCased(n.cp)) return setOut(ctx, caseClosure([n.cp, n.cp], extent));
      if (ctx.v.alphabet && n.cp >= 0x80) return setOut(ctx, [n.cp, n.cp]);
      if (n.cp > 0xffff) {
        if (extent !== 'full') return { src: '[]', atom: true };
        const s = String.fromCodePoint(n.cp);
        return { src: `(?:${hex4(s.charCodeAt(0))}${hex4(s.charCodeAt(1))})`, atom: true };
      }
      if (n.cp >= 0xd800 && n.cp <= 0xdfff) return { src: '[]', atom: true }; // lone surrogates never occur in decoded text
      return { src: unit(n.cp), atom: true };
    }
    case 'set':
      return setOut(ctx, setRanges(n, extent));
    case 'any':
      return setOut(ctx, n.dotall ? [0, MAX_CP] : complement([10, 10]));
    case 'assert': {
      const a = anchor(n.kind, n.multiline, ctx);
      return { src: ctx.v.superset && a.includes('(?') ? '' : a, atom: false };
    }
    case 'wordb': {
      if (extent === 'ascii' || n.ascii) return { src: n.neg ? '\\B' : '\\b', atom: false };
      if (ctx.v.superset) return { src: '', atom: false };
      const w = word(ctx, n.ascii);
      return {
        src: n.neg ? `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))` : `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`,
        atom: false,
      };
    }
    case 'seq': {
      const parts = n.items.map((x) => emitNode(x, ctx));
      if (parts.length === 1) return parts[0]!;
      return { src: parts.map((p) => p.src).join(''), atom: false };
    }
    case 'alt':
      return { src: `(?:${n.alts.map((x) => emitNode(x, ctx).src).join('|')})`, atom: true };
    case 'group': {
      if (n.num === null) {
        const inner = emitNode(n.body, ctx);
        return inner.atom ? inner : { src: `(?:${inner.src})`, atom: true };
      }
      ctx.groupMap.push(n.num);
      const idx = ctx.groupMap.length - 1;
      const list = ctx.jsGroups.get(n.num);
      if (list) {
        if (!list.includes(idx)) list.push(idx);
      } else ctx.jsGroups.set(n.num, [idx]);
      return { src: `(${emitNode(n.body, ctx).src})`, atom: true };
    }
    case 'look':
      if (ctx.v.superset) return { src: '', atom: false };
      return { src: `(?${n.behind ? '<' : ''}${n.neg ? '!' : '='}${emitNode(n.body, ctx).src})`, atom: false };
    case 'atomic': {
      if (ctx.v.superset) return { src: `(?:${emitNode(n.body, ctx).src})`, atom: true };
      // (?>X) == (?=(X))\k : a lookahead is atomic in JS; the backreference consumes its text.
      ctx.groupMap.push(0);
      const idx = ctx.groupMap.length - 1;
      return { src: `(?:(?=(${emitNode(n.body, ctx).src}))\\${idx})`, atom: true };
    }
    case 'repeat': {
      // A tracked loop gets a helper group (marked -id; it opens before the groups inside) so
      // its span can be read from the match.
      if (n.track !== undefined) ctx.groupMap.push(-n.track);
      const body = emitNode(n.body, ctx);
      const b = body.atom ? body.src : `(?:${body.src})`;
      // A gate only has to accept a superset: `{m,n}` → `{m,}` keeps V8's linear engine (it
      // refuses nested repetitions whose bounds multiply past 16, e.g. cowrie's `(?:…){0,20}`).
      const max = ctx.v.superset && n.max > 1 ? Infinity : n.max;
      let q: string;
      if (n.min === 0 && max === Infinity) q = '*';
      else if (n.min === 1 && max === Infinity) q = '+';
      else if (n.min === 0 && max === 1) q = '?';
      else if (n.min === max) q = `{${n.min}}`;
      else q = `{${n.min},${max === Infinity ? '' : max}}`;
      const src = `${b}${q}${n.greedy ? '' : '?'}`;
      return n.track === undefined ? { src, atom: false } : { src: `(${src})`, atom: true };
    }
    case 'backref': {
      if (ctx.v.superset) return { src: '[\\s\\S]*', atom: false };
      const js = ctx.jsGroups.get(n.num) ?? [];
      // Every copy but the one on this path is unset, and an unset group matches '' in JS.
      return { src: js.length ? `(?:${js.map((i) => `\\${i}`).join('')})` : '', atom: true };
    }
    case 'cond':
      throw new Error('internal: conditional left after distribution');
  }
}

/** Emit the JS source for one variant. `sticky`: leading start anchor was removed. */
export function emit(root: Node, v: Variant, opts: { multiText: boolean; sticky: boolean }): Emitted {
  // Pass 1 numbers the groups (backreferences need the numbers of later copies too).
  const first: Ctx = { v, multiText: opts.multiText, groupMap: [0], jsGroups: new Map(), wordCache: null };
  emitNode(root, first);
  const ctx: Ctx = { ...first, groupMap: [0], wordCache: first.wordCache };
  const out = emitNode(root, ctx);
  return { source: out.src, flags: (v.clean ? 'm' : '') + (opts.sticky ? 'y' : ''), groupMap: ctx.groupMap };
}
