/**
 * Facts about a pattern's line shape that spare regex work. fail2ban's `__prefix_line` makes a
 * prefregex such as sshd's `^<F-MLFID>…</F-MLFID>…<F-CONTENT>.+</F-CONTENT>$` optional up to its
 * content, so it matches any line with text in it: the regex tool counts its hits on lines no
 * failregex can match without running it (most of a quiet log's cost before). And a content
 * group that ends the pattern is always the line's tail, which the engine takes without a compare.
 */
import type { Node } from './ast.js';

/** Can `n` match the empty string wherever it is tried? (conservative: assertions say no) */
function nullable(n: Node): boolean {
  switch (n.t) {
    case 'empty':
      return true;
    case 'seq':
      return n.items.every(nullable);
    case 'alt':
      return n.alts.some(nullable);
    case 'group':
    case 'atomic':
      return nullable(n.body);
    case 'repeat':
      return n.min === 0 || nullable(n.body);
    default:
      return false;
  }
}

/** The node inside any groups around it. */
function unwrap(n: Node): Node {
  let x = n;
  while (x.t === 'group' || x.t === 'atomic') x = x.body;
  return x;
}

/** A `.` loop without DOTALL and without upper bound (`.*`, `.+`, lazy or not). */
function dotLoop(n: Node): n is Extract<Node, { t: 'repeat' }> {
  return n.t === 'repeat' && n.max === Infinity && n.body.t === 'any' && !n.body.dotall;
}

/**
 * The shape both facts below rest on: the pattern's parts, ending in a `.` loop (inside any
 * groups) and then Python's single-line `$`. Null for any other pattern.
 */
function endsInDotLoop(root: Node): { items: readonly Node[]; loop: Extract<Node, { t: 'repeat' }> } | null {
  const items = root.t === 'seq' ? root.items : [root];
  if (items.length < 2) return null;
  const last = items[items.length - 1]!;
  if (last.t !== 'assert' || last.kind !== 'eol' || last.multiline) return null;
  const loop = unwrap(items[items.length - 2]!);
  return dotLoop(loop) ? { items, loop } : null;
}

/**
 * Python numbers of the capturing groups around that final `.` loop (`…(?P<content>.+)$`). In a
 * subject `text + "\n"`, a non-empty value of such a group always ends right before the final
 * "\n": `$` matches only there or at the very end, and `.` cannot take the "\n". So the value is
 * the subject's tail, found without a compare.
 */
export function tailGroups(root: Node): number[] {
  const shape = endsInDotLoop(root);
  if (!shape) return [];
  const out: number[] = [];
  for (let x = shape.items[shape.items.length - 2]!; x.t === 'group' || x.t === 'atomic'; x = x.body) {
    if (x.t === 'group' && x.num !== null) out.push(x.num);
  }
  return out;
}

/** `\A`, or `^` without MULTILINE: true at position 0, where the match below is tried. */
function startAnchor(n: Node): boolean {
  return n.t === 'assert' && (n.kind === 'bos' || (n.kind === 'bol' && !n.multiline));
}

/**
 * True when the pattern is `[^] A B … .+$` with every part before `.+` able to match empty. It
 * then matches every subject `text + "\n"` where text is non-empty and holds no "\n": at
 * position 0 all parts match empty, `.+` takes text, and `$` stands before the "\n".
 */
export function matchesAnyLine(root: Node): boolean {
  const shape = endsInDotLoop(root);
  if (!shape || shape.loop.min !== 1) return false;
  const items = shape.items;
  let first = 0;
  while (first < items.length - 2 && startAnchor(items[first]!)) first++;
  return items.slice(first, -2).every(nullable);
}
