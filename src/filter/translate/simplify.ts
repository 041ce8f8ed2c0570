/**
 * Safe rewrites that keep V8's linear-time fallback available. The one that matters: fail2ban's
 * IPv6 building block ends in `(?:[0-9a-fA-F]{1,4}|(?<=:):)` right after a repetition whose every
 * iteration ends in `:`, so the lookbehind is always true there. A lookbehind makes the whole
 * pattern ineligible for the fallback, and <HOST>/<ADDR> are in almost every filter — so we drop a
 * leading single-character lookbehind whenever the node before it always ends in that character.
 */
import type { Node } from './ast.js';
import { EMPTY, seq } from './ast.js';
import type { Ranges } from './charset.js';
import { categorySet, complement, rangesOf, subtract, union } from './charset.js';
import { width } from './parse.js';

/** Characters a non-empty match of `n` can end with (null: unknown). */
function lastChars(n: Node): Ranges | null {
  switch (n.t) {
    case 'lit':
      return n.ci ? null : [n.cp, n.cp];
    case 'set': {
      if (n.ci || n.items.some((it) => it.cat)) return null;
      const r = rangesOf(n.items.map((it) => [it.lo, it.hi] as [number, number]));
      return n.negate ? complement(r) : r;
    }
    case 'seq': {
      let acc: Ranges = [];
      for (let i = n.items.length - 1; i >= 0; i--) {
        const it = n.items[i]!;
        const [lo, hi] = width(it);
        if (hi === 0) {
          if (it.t === 'look' || it.t === 'empty') continue;
          return null;
        }
        const own = lastChars(it);
        if (!own) return null;
        acc = union(acc, own);
        if (lo >= 1) return acc;
      }
      return null;
    }
    case 'alt': {
      const parts = n.alts.map(lastChars);
      const known = parts.filter((p): p is Ranges => p !== null);
      return known.length === parts.length ? union(...known) : null;
    }
    case 'group':
    case 'atomic':
      return lastChars(n.body);
    case 'repeat':
      return lastChars(n.body);
    default:
      return null;
  }
}

function isSubset(a: Ranges, b: Ranges): boolean {
  return subtract(a, b).length === 0;
}

/** Remove leading lookbehinds of `n` that `before` (the chars preceding it) always satisfies. */
function dropLeading(n: Node, before: Ranges): Node {
  switch (n.t) {
    case 'look': {
      if (!n.behind || n.neg) return n;
      const body = lastChars(n.body);
      return body && width(n.body)[1] === 1 && isSubset(before, body) ? EMPTY : n;
    }
    case 'seq':
      return seq([dropLeading(n.items[0]!, before), ...n.items.slice(1)]);
    case 'alt':
      return { ...n, alts: n.alts.map((a) => dropLeading(a, before)) };
    case 'group':
      return { ...n, body: dropLeading(n.body, before) };
    default:
      return n;
  }
}

/**
 * V8's linear engine refuses patterns whose nested bounded repetitions multiply past 16
 * (`(?:[0-9a-f]{1,4}::?|:){1,7}` is 28). `X{m,n}` of a single character equals X×m followed by
 * n−m nested optionals (same greedy/lazy order of tries), which replicates nothing. Up to 32
 * copies: sendmail's `\w{14,20}` queue id needs 20.
 */
function unroll(n: Node & { t: 'repeat' }): Node {
  const b = n.body;
  if (n.max === Infinity || n.max <= 1 || n.max > 32 || !(b.t === 'lit' || b.t === 'set' || b.t === 'any')) return n;
  let tail: Node | null = null;
  for (let i = n.max - n.min; i > 0; i--) {
    tail = { t: 'repeat', body: tail ? seq([b, tail]) : b, min: 0, max: 1, greedy: n.greedy };
  }
  return seq([...Array<Node>(n.min).fill(b), ...(tail ? [tail] : [])]);
}

/** Single-character nodes as code point sets (BMP; null when not a plain case-sensitive class). */
function charSet(n: Node): Ranges | null {
  if (n.t === 'lit') return n.ci ? null : [n.cp, n.cp];
  if (n.t === 'any') return n.dotall ? [0, 0xffff] : complement([10, 10], 0, 0xffff);
  if (n.t !== 'set' || n.ci || n.negate) return null;
  const parts: Ranges[] = [];
  for (const it of n.items) {
    if (it.cat) {
      const c = categorySet(it.cat, 'bmp', n.ascii);
      parts.push(it.neg ? complement(c, 0, 0xffff) : c);
    } else {
      if (it.hi > 0xffff) return null;
      parts.push([it.lo, it.hi]);
    }
  }
  return union(...parts);
}

/**
 * `A{a,} B{b,}` with A ⊆ B (greedy single characters) is `A{a} B{b,}`, and `A{a,} B*` with
 * B ⊆ A is `A{a,}`: the same end positions are reachable and tried in the same (descending)
 * order, without the quadratic re-splitting between the two loops. These are the shapes of
 * fail2ban's `vhostpref` (`\w+[\w.-]*`) and freeswitch's `[^\[]*\s*`.
 */
function collapse(items: Node[]): void {
  for (let i = 0; i + 1 < items.length; i++) {
    const a = items[i]!;
    const b = items[i + 1]!;
    if (a.t !== 'repeat' || b.t !== 'repeat' || !a.greedy || !b.greedy || a.max !== Infinity || b.max !== Infinity) continue;
    if (a.track !== undefined || b.track !== undefined) continue;
    const sa = charSet(a.body);
    const sb = charSet(b.body);
    if (!sa || !sb) continue;
    if (subtract(sa, sb).length === 0) items[i] = a.min === 0 ? EMPTY : { ...a, max: a.min };
    else if (b.min === 0 && subtract(sb, sa).length === 0) items[i + 1] = EMPTY; // A* already took every B
  }
}

export function simplify(n: Node): Node {
  switch (n.t) {
    case 'seq': {
      const items = n.items.map(simplify);
      collapse(items);
      for (let i = 1; i < items.length; i++) {
        const p = items[i - 1]!;
        const prev = width(p)[0] >= 1 ? lastChars(p) : null;
        if (prev) items[i] = dropLeading(items[i]!, prev);
      }
      return seq(items);
    }
    case 'alt':
      return { ...n, alts: n.alts.map(simplify) };
    case 'cond':
      return { ...n, yes: simplify(n.yes), no: simplify(n.no) };
    case 'repeat':
      return unroll({ ...n, body: simplify(n.body) });
    case 'group':
    case 'look':
    case 'atomic':
      return { ...n, body: simplify(n.body) };
    default:
      return n;
  }
}
