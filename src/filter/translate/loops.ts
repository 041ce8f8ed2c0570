/**
 * Captures inside repeated groups. Python keeps a group's value from the last iteration that set
 * it; JavaScript clears a repeated group's captures at the start of every iteration. So for
 * `(?: user=(?P<user>\S+)| \w+=\S+)*` on " user=bob x=1" Python reports user='bob', JS nothing.
 *
 * Such loops are "tracked": the emitter wraps them in a helper group, and after a match the
 * loop's text is replayed one iteration at a time with `X (?:X){a,b}$` (sticky, on the text cut at
 * the loop's end): the first match of that pattern is the first iteration of the decomposition
 * Python chose (the continuation after the loop only depends on where the loop ended), and its
 * captures are outside any repetition, so JS keeps them. Values are merged as Python would.
 *
 * Replay on a cut text is exact only if an iteration never looks past its own end: loop bodies
 * with lookbehinds, anchors, `\b`, backreferences or trailing lookaheads are refused.
 */
import type { Node } from './ast.js';
import { children, some } from './ast.js';
import { width } from './parse.js';

export interface Loop {
  id: number;
  /** The repeated body (with captures) and the same without capturing groups. */
  body: Node;
  noCap: Node;
  min: number;
  max: number;
  /** Python numbers of the named groups inside. */
  nums: number[];
}

type Fail = (msg: string) => never;

function optional(n: Node, relevant: (num: number) => boolean): boolean {
  const has = (x: Node): boolean => some(x, (y) => y.t === 'group' && y.num !== null && relevant(y.num));
  switch (n.t) {
    case 'alt':
      return n.alts.some(has);
    case 'cond':
      return has(n.yes) || has(n.no);
    case 'look':
      return has(n.body);
    case 'repeat':
      return n.min === 0 ? has(n.body) : optional(n.body, relevant);
    default:
      return children(n).some((c) => optional(c, relevant));
  }
}

function stripCaptures(n: Node): Node {
  switch (n.t) {
    case 'group':
      return { t: 'group', num: null, body: stripCaptures(n.body) };
    case 'seq':
      return { ...n, items: n.items.map(stripCaptures) };
    case 'alt':
      return { ...n, alts: n.alts.map(stripCaptures) };
    case 'look':
    case 'atomic':
    case 'repeat':
      return { ...n, body: stripCaptures(n.body) };
    default:
      return n;
  }
}

/** Lookaheads allowed only at the very start of the body, no wider than the shortest iteration. */
function replaySafe(body: Node): boolean {
  const minW = width(body)[0];
  if (minW < 1) return false;
  let inner = body;
  while (inner.t === 'group' && inner.num === null) inner = inner.body;
  const items = inner.t === 'seq' ? inner.items : [inner];
  let leading = true;
  const bad = (x: Node): boolean =>
    x.t === 'wordb' || x.t === 'assert' || x.t === 'backref' || (x.t === 'look' && (x.behind || !leading || width(x.body)[1] > minW));
  for (const it of items) {
    if (it.t === 'look' && leading) {
      if (bad(it) || some(it.body, (x) => x.t === 'look' || x.t === 'wordb' || x.t === 'assert')) return false;
      continue;
    }
    leading = false;
    if (some(it, bad)) return false;
  }
  return true;
}

export function trackLoops(root: Node, named: ReadonlySet<number>, fail: Fail): { root: Node; loops: Loop[] } {
  const loops: Loop[] = [];
  const namedIn = (n: Node): number[] => {
    const out: number[] = [];
    const walk = (x: Node): void => {
      if (x.t === 'group' && x.num !== null && named.has(x.num)) out.push(x.num);
      children(x).forEach(walk);
    };
    walk(n);
    return out;
  };
  const visit = (n: Node, inLoop: boolean): Node => {
    if (n.t === 'repeat' && n.max > 1 && optional(n.body, (g) => named.has(g))) {
      const nested = some(n.body, (x) => x.t === 'repeat' && x.max > 1 && some(x.body, (y) => y.t === 'group' && y.num !== null && named.has(y.num)));
      if (inLoop || nested) fail('a named group that may be skipped inside nested repetitions');
      if (!replaySafe(n.body)) {
        fail('a named group that may be skipped inside a repeated group whose body looks around or back');
      }
      const id = loops.length + 1;
      loops.push({ id, body: n.body, noCap: stripCaptures(n.body), min: n.min, max: n.max, nums: namedIn(n.body) });
      return { ...n, track: id };
    }
    const deeper = inLoop || (n.t === 'repeat' && n.max > 1);
    switch (n.t) {
      case 'seq':
        return { ...n, items: n.items.map((x) => visit(x, deeper)) };
      case 'alt':
        return { ...n, alts: n.alts.map((x) => visit(x, deeper)) };
      case 'group':
      case 'look':
      case 'atomic':
      case 'repeat':
        return { ...n, body: visit(n.body, deeper) };
      default:
        return n;
    }
  };
  const out = some(root, (x) => x.t === 'repeat' && x.max > 1) ? visit(root, false) : root;
  return { root: out, loops };
}
