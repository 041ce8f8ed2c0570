/**
 * Conditional groups `(?(g)yes|no)` have no JavaScript form. We remove them by distributing the
 * rest of the pattern over the choice that decides whether group g takes part:
 *
 *   A (?:(?P<g>X))? B (?(g)Y|N) C   ==>   A (?: (?P<g>X) B Y C | B N C )
 *
 * The continuation after each choice point is copied into that choice's branch, so every copy
 * knows statically whether g matched and the conditional becomes its yes or no branch. Branches
 * are emitted in the order Python's backtracking would try them, so the first match found (and
 * its captures) is the one Python finds. Capturing groups that get copied keep their Python
 * number; the emitter gives each copy its own JS group and the match reader takes the copy
 * that participated (copies always sit in mutually exclusive alternatives).
 *
 * A backreference to a group that may not have matched is, in Python, a failure; in JavaScript
 * it matches the empty string. Such backreferences are rewritten to `(?(g)(?P=g)|(?!))` first.
 */
import type { Node } from './ast.js';
import { alt, children, EMPTY, FAIL, seq, some } from './ast.js';

type Fail = (msg: string) => never;

interface Variant {
  node: Node;
  s: boolean;
}

/** Nodes that can match in at most one way (so duplicating them does not reorder Python's search). */
function deterministic(n: Node): boolean {
  switch (n.t) {
    case 'alt':
    case 'cond':
      return false;
    case 'repeat':
      return n.min === n.max && deterministic(n.body);
    case 'look':
    case 'atomic':
      return true;
    default:
      return children(n).every(deterministic);
  }
}

function distributeGroup(root: Node, g: number, fail: Fail): Node {
  const hasGMemo = new WeakMap<Node, boolean>();
  const hasG = (n: Node): boolean => {
    let v = hasGMemo.get(n);
    if (v === undefined) {
      v = some(n, (x) => x.t === 'group' && x.num === g);
      hasGMemo.set(n, v);
    }
    return v;
  };
  const hasCond = (n: Node): boolean => some(n, (x) => x.t === 'cond' && x.num === g);

  const resolve = (n: Node, s: boolean): Node => {
    if (!hasCond(n)) return n;
    switch (n.t) {
      case 'cond':
        return n.num === g ? resolve(s ? n.yes : n.no, s) : { ...n, yes: resolve(n.yes, s), no: resolve(n.no, s) };
      case 'seq':
        return { ...n, items: n.items.map((x) => resolve(x, s)) };
      case 'alt':
        return { ...n, alts: n.alts.map((x) => resolve(x, s)) };
      case 'group':
      case 'look':
      case 'atomic':
      case 'repeat':
        return { ...n, body: resolve(n.body, s) };
      default:
        return n;
    }
  };

  const ownGroup = (n: Node & { t: 'group' }): Node => {
    if (hasCond(n.body)) fail(`conditional on group ${g} inside that group`);
    return n;
  };

  const D = (n: Node, s: boolean, k: (s: boolean) => Node): Node => {
    if (!hasG(n)) return seq([resolve(n, s), k(s)]);
    switch (n.t) {
      case 'group':
        if (n.num === g) return seq([ownGroup(n), k(true)]);
        if (n.num === null) return D(n.body, s, k);
        return alt(split(n.body, s).map((v) => seq([{ ...n, body: v.node }, k(v.s)])));
      case 'seq': {
        const i = n.items.findIndex(hasG);
        const pre = n.items.slice(0, i).map((x) => resolve(x, s));
        const rest = n.items.slice(i + 1);
        return seq([...pre, D(n.items[i]!, s, (s2) => seq([...rest.map((x) => resolve(x, s2)), k(s2)]))]);
      }
      case 'alt': {
        const out: Node[] = [];
        let pending: Node[] = [];
        const flush = (): void => {
          if (pending.length) out.push(seq([{ t: 'group', num: null, body: alt(pending.map((x) => resolve(x, s))) }, k(s)]));
          pending = [];
        };
        for (const a of n.alts) {
          if (hasG(a)) {
            flush();
            out.push(D(a, s, k));
          } else pending.push(a);
        }
        flush();
        return alt(out);
      }
      case 'repeat': {
        if (n.max !== 1) fail(`group ${g} is tested by a conditional or backreference but sits inside a repetition`);
        if (n.min === 1) return D(n.body, s, k);
        const take = D(n.body, s, k);
        const skip = k(s);
        return alt(n.greedy ? [take, skip] : [skip, take]);
      }
      default:
        return fail(`group ${g} is tested by a conditional or backreference but sits inside a ${n.t === 'look' ? 'lookaround' : n.t}`);
    }
  };

  const split = (n: Node, s: boolean): Variant[] => {
    if (!hasG(n)) return [{ node: resolve(n, s), s }];
    switch (n.t) {
      case 'group':
        if (n.num === g) return [{ node: ownGroup(n), s: true }];
        if (n.num === null) return split(n.body, s);
        return split(n.body, s).map((v) => ({ node: { ...n, body: v.node }, s: v.s }));
      case 'alt':
        return n.alts.flatMap((a) => split(a, s));
      case 'seq': {
        const i = n.items.findIndex(hasG);
        const pre = n.items.slice(0, i);
        if (!pre.every(deterministic)) {
          fail(`group ${g} (tested by a conditional) follows a backtracking choice inside an enclosing capture group`);
        }
        const rest = n.items.slice(i + 1);
        return split(n.items[i]!, s).map((v) => ({
          node: seq([...pre.map((x) => resolve(x, s)), v.node, ...rest.map((x) => resolve(x, v.s))]),
          s: v.s,
        }));
      }
      case 'repeat': {
        if (n.max !== 1) fail(`group ${g} is tested by a conditional or backreference but sits inside a repetition`);
        if (n.min === 1) return split(n.body, s);
        const take = split(n.body, s);
        const skip = { node: EMPTY, s };
        return n.greedy ? [...take, skip] : [skip, ...take];
      }
      default:
        return fail(`group ${g} is tested by a conditional or backreference but sits inside a ${n.t === 'look' ? 'lookaround' : n.t}`);
    }
  };

  return D(root, false, () => EMPTY);
}

/** True when group g matches on every path that matches at all (no optional ancestor). */
function mandatory(root: Node, g: number): boolean {
  const walk = (n: Node): boolean | null => {
    if (n.t === 'group' && n.num === g) return true;
    switch (n.t) {
      case 'seq':
      case 'group':
      case 'atomic':
        for (const c of children(n)) {
          const r = walk(c);
          if (r !== null) return r;
        }
        return null;
      case 'repeat':
        if (!some(n.body, (x) => x.t === 'group' && x.num === g)) return null;
        return n.min >= 1 ? walk(n.body) : false;
      default:
        return some(n, (x) => x.t === 'group' && x.num === g) ? false : null;
    }
  };
  return walk(root) === true;
}

/** Rewrite backreferences to possibly-unset groups, then remove every conditional. */
export function removeConditionals(root: Node, fail: Fail): Node {
  const risky = new Set<number>();
  const visit = (n: Node): void => {
    if (n.t === 'backref' && !mandatory(root, n.num)) risky.add(n.num);
    children(n).forEach(visit);
  };
  visit(root);
  const guard = (n: Node): Node => {
    if (n.t === 'backref') return risky.has(n.num) ? { t: 'cond', num: n.num, yes: n, no: FAIL } : n;
    switch (n.t) {
      case 'seq':
        return { ...n, items: n.items.map(guard) };
      case 'alt':
        return { ...n, alts: n.alts.map(guard) };
      case 'cond':
        return { ...n, yes: guard(n.yes), no: guard(n.no) };
      case 'group':
      case 'look':
      case 'atomic':
      case 'repeat':
        return { ...n, body: guard(n.body) };
      default:
        return n;
    }
  };
  let out = risky.size ? guard(root) : root;
  const targets = new Set<number>();
  const collect = (n: Node): void => {
    if (n.t === 'cond') targets.add(n.num);
    children(n).forEach(collect);
  };
  collect(out);
  for (const g of [...targets].sort((a, b) => a - b)) out = distributeGroup(out, g, fail);
  return out;
}
