/**
 * Required literals: strings at least one of which every match must contain (a "clause" is an
 * OR-list; a match satisfies every clause). The prefilter checks the best clauses with
 * `String.prototype.includes`, which rejects most log lines before any regex runs.
 * Case-insensitive parts and `\n` contribute nothing (the single-line text lacks the final `\n`).
 */
import type { Node } from './ast.js';

type Clause = string[];

interface Info {
  /** The exact text the node always matches, or null. */
  exact: string | null;
  clauses: Clause[];
}

const MAX_EXACT = 256;

function single(n: Node & { t: 'set' }): string | null {
  const m = members(n);
  return m !== null && m.length === 1 ? m[0]! : null;
}

const MAX_LEADING = 16;

/** The characters of a small class like `[iI]` (null: negated, case-folded, a category, "\n" or too many). */
function members(n: Node & { t: 'set' }): string[] | null {
  if (n.negate || n.ci) return null;
  const out: string[] = [];
  for (const it of n.items) {
    if (it.cat || it.hi - it.lo + 1 + out.length > MAX_LEADING) return null;
    for (let c = it.lo; c <= it.hi; c++) {
      if (c === 10) return null;
      out.push(String.fromCodePoint(c));
    }
  }
  return out.length > 0 ? out : null;
}

function score(c: Clause): number {
  return Math.min(...c.map((s) => s.trim().length * 4 + s.length));
}

function best(clauses: Clause[]): Clause | null {
  let b: Clause | null = null;
  for (const c of clauses) if (!b || score(c) > score(b)) b = c;
  return b;
}

function info(n: Node): Info {
  switch (n.t) {
    case 'empty':
    case 'assert':
    case 'wordb':
    case 'look':
      return { exact: '', clauses: [] };
    case 'lit':
      return { exact: n.ci || n.cp === 10 ? null : String.fromCodePoint(n.cp), clauses: [] };
    case 'set':
      return { exact: single(n), clauses: [] };
    case 'seq': {
      const clauses: Clause[] = [];
      let run = '';
      let exact: string | null = '';
      for (const it of n.items) {
        const i = info(it);
        if (i.exact !== null && run.length + i.exact.length <= MAX_EXACT) {
          run += i.exact;
          if (exact !== null) exact += i.exact;
        } else {
          if (run) clauses.push([run]);
          run = '';
          exact = null;
          clauses.push(...i.clauses);
        }
      }
      if (run) clauses.push([run]);
      return { exact, clauses: exact !== null ? [] : clauses };
    }
    case 'alt':
    case 'cond': {
      const branches = (n.t === 'alt' ? n.alts : [n.yes, n.no]).map(info);
      const first = branches[0]!.exact;
      if (first !== null && branches.every((b) => b.exact === first)) return { exact: first, clauses: [] };
      const or: string[] = [];
      for (const b of branches) {
        if (b.exact !== null) {
          if (b.exact === '') return { exact: null, clauses: [] };
          or.push(b.exact);
          continue;
        }
        const c = best(b.clauses);
        if (!c) return { exact: null, clauses: [] };
        or.push(...c);
      }
      return { exact: null, clauses: [[...new Set(or)]] };
    }
    case 'group':
    case 'atomic':
      return info(n.body);
    case 'repeat': {
      if (n.max === 0) return { exact: '', clauses: [] };
      if (n.min === 0) return { exact: null, clauses: [] };
      const b = info(n.body);
      if (b.exact !== null && n.min === n.max && b.exact.length * n.min <= MAX_EXACT) {
        return { exact: b.exact.repeat(n.min), clauses: [] };
      }
      return { exact: null, clauses: b.exact ? [[b.exact]] : b.clauses };
    }
    default:
      return { exact: null, clauses: [] };
  }
}

/** Up to `max` best clauses (strongest first); empty = no prefilter possible. */
export function requiredLiterals(root: Node, max = 2): Clause[] {
  const i = info(root);
  const all = i.exact ? [[i.exact]] : i.clauses;
  return all
    .filter((c) => c.every((s) => s.length > 0))
    .sort((a, b) => score(b) - score(a))
    .slice(0, max);
}

/**
 * Texts one of which every match must start with (each non-empty), or null when unknown.
 * For start-anchored (sticky) patterns this is a first-character prefilter.
 */
export function leadingLiterals(n: Node): string[] | null {
  switch (n.t) {
    case 'lit':
      return n.ci || n.cp === 10 ? null : [String.fromCodePoint(n.cp)];
    case 'set':
      return members(n);
    case 'seq': {
      let run = '';
      for (const it of n.items) {
        const i = info(it);
        if (i.exact !== null && i.exact.indexOf('\n') < 0) {
          run += i.exact;
          continue;
        }
        return run !== '' ? [run] : leadingLiterals(it);
      }
      return run !== '' ? [run] : null;
    }
    case 'alt': {
      const out: string[] = [];
      for (const a of n.alts) {
        const l = leadingLiterals(a);
        if (l === null) return null;
        out.push(...l);
      }
      return out.length > 0 && out.length <= MAX_LEADING ? [...new Set(out)] : null;
    }
    case 'group':
    case 'atomic':
      return leadingLiterals(n.body);
    case 'repeat':
      return n.min >= 1 ? leadingLiterals(n.body) : null;
    default:
      return null;
  }
}
