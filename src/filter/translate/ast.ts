/** AST of a Python `re` pattern, with the flags in force resolved onto each node. */
import type { Category } from './charset.js';

export interface ClassItem {
  /** Inclusive code point range, or a category (`\d \w \s`, negated when `neg`). */
  lo: number;
  hi: number;
  cat?: Category;
  neg?: boolean;
}

export type Node =
  | { t: 'empty' }
  | { t: 'lit'; cp: number; ci: boolean }
  | { t: 'set'; items: ClassItem[]; negate: boolean; ci: boolean; ascii: boolean }
  /** `.`; `dotall` = the `s` flag. */
  | { t: 'any'; dotall: boolean }
  | { t: 'assert'; kind: 'bol' | 'eol' | 'bos' | 'eos'; multiline: boolean }
  | { t: 'wordb'; neg: boolean; ascii: boolean }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  /** `num` = Python group number (capturing), null for `(?:…)`. */
  | { t: 'group'; num: number | null; body: Node }
  | { t: 'look'; behind: boolean; neg: boolean; body: Node }
  | { t: 'atomic'; body: Node }
  /** `track`: id of a loop whose captures are replayed per iteration (see loops.ts). */
  | { t: 'repeat'; body: Node; min: number; max: number; greedy: boolean; track?: number }
  | { t: 'backref'; num: number; ci: boolean }
  | { t: 'cond'; num: number; yes: Node; no: Node }
  /** Never matches (a resolved conditional branch or backreference that cannot succeed). */
  | { t: 'fail' };

export const EMPTY: Node = { t: 'empty' };
export const FAIL: Node = { t: 'fail' };

export function seq(items: Node[]): Node {
  const flat: Node[] = [];
  for (const it of items) {
    if (it.t === 'seq') flat.push(...it.items);
    else if (it.t !== 'empty') flat.push(it);
  }
  if (flat.length === 0) return EMPTY;
  if (flat.length === 1) return flat[0]!;
  return { t: 'seq', items: flat };
}

export function alt(alts: Node[]): Node {
  if (alts.length === 1) return alts[0]!;
  return { t: 'alt', alts };
}

/** Children of a node, for generic walks. */
export function children(n: Node): Node[] {
  switch (n.t) {
    case 'seq':
      return n.items;
    case 'alt':
      return n.alts;
    case 'group':
    case 'look':
    case 'atomic':
    case 'repeat':
      return [n.body];
    case 'cond':
      return [n.yes, n.no];
    default:
      return [];
  }
}

export function some(n: Node, pred: (n: Node) => boolean): boolean {
  if (pred(n)) return true;
  return children(n).some((c) => some(c, pred));
}

export interface ParsedPattern {
  root: Node;
  /** Number of capturing groups. */
  groups: number;
  /** Python group name -> number, in definition order. */
  names: Map<string, number>;
  /** `re.MULTILINE` in force at top level (affects nothing else: flags are resolved per node). */
  multiline: boolean;
}
