/**
 * Python regex -> matcher with Python `re.search` semantics, built on JS RegExp.
 *
 * Pipeline: fail2ban's global->scoped flag rewrite, parse (parse.ts), remove conditionals
 * (conditional.ts), drop a leading start anchor in favour of the sticky flag, then emit one JS
 * RegExp per text variant on demand (emit.ts): ASCII / BMP / astral text × clean / other line
 * terminators. Nearly every log line is ASCII without `\r`, so the common variant uses small ASCII
 * classes, JS's `\b`, the `m` flag for `$`, and no lookarounds of our own — keeping V8's
 * linear-time fallback available whenever the Python pattern itself has no lookaround/backref.
 *
 * Deliberate choice: no `u` flag. `\p{…}` would give Unicode classes for free, but the linear
 * engine refuses `u` (and `i`) patterns, and Python matches code points anyway, which we emulate
 * with surrogate-pair alternatives only for texts that actually contain astral characters.
 */
import type { Where } from '../../config/types.js';
import type { Node, ParsedPattern } from './ast.js';
import { alt, children, EMPTY, seq } from './ast.js';
import type { Extent } from './charset.js';
import { isCased } from './charset.js';
import { removeConditionals } from './conditional.js';
import { emit, patternSets } from './emit.js';
import { matchesAnyLine, tailGroups } from './line-shape.js';
import type { Reduction } from './reduce.js';
import { buildReduction, reduceText } from './reduce.js';
import { enableLinearFallback, linearCapable, primeBacktrackLimit } from './linear.js';
import { leadingLiterals, requiredLiterals } from './literals.js';
import type { Loop } from './loops.js';
import { trackLoops } from './loops.js';
import { parsePython, translateError } from './parse.js';
import { simplify } from './simplify.js';
import { expandTags } from './tags.js';

export interface RegexMatch {
  /** Start of the match in `text`. */
  index: number;
  /** End of the match in `text` (single-line mode: at most text.length + 1, the implicit `\n`). */
  end: number;
  groups: Record<string, string | undefined>;
}

export interface CompiledRegex {
  readonly source: string;
  readonly groupNames: readonly string[];
  /** Matches `text` as Python matches it (single-line mode: `text + "\n"`). */
  exec(text: string): RegexMatch | null;
  /**
   * Same, on the subject itself: in single-line mode `s` already ends in that "\n" (readers hand
   * it over with the line, so no copy is made per line). `ascii`: the caller knows `s` is plain
   * ASCII without "\r" or inner "\n" (skips a scan).
   */
  execSubject(s: string, ascii: boolean): RegexMatch | null;
  /** execSubject(…) !== null, without building the match (no result array, no groups). */
  testSubject(s: string, ascii: boolean): boolean;
  mayMatch(text: string): boolean;
  /** Start-anchored patterns: texts one of which the subject must start with (null = unknown). */
  readonly prefixes?: readonly string[] | null;
  /** Single-line mode: groups whose non-empty value always ends right before the subject's final "\n". */
  readonly tailNames?: readonly string[];
}

/** fail2ban rewrites `((?i)X)` and `(?:(?i)X)` into `(?i:X)` (Python 3.11 rejects mid-pattern flags). */
const GLOBAL_TO_LOCAL = /(?<!\\)\((?:\?:)?(\(\?[a-z]+)\)/g;

function stripStart(n: Node): Node | null {
  switch (n.t) {
    case 'assert':
      return n.kind === 'bos' || (n.kind === 'bol' && !n.multiline) ? EMPTY : null;
    case 'seq': {
      const head = n.items[0] ? stripStart(n.items[0]) : null;
      if (!head) return null;
      // `^^…`: further start anchors before anything is consumed are true as well
      let i = 1;
      while (i < n.items.length && head.t === 'empty' && stripStart(n.items[i]!)?.t === 'empty') i++;
      return seq([head, ...n.items.slice(i)]);
    }
    case 'alt': {
      const alts = n.alts.map(stripStart);
      const ok = alts.filter((a): a is Node => a !== null);
      return ok.length === alts.length ? alt(ok) : null;
    }
    case 'group': {
      const body = stripStart(n.body);
      return body ? { ...n, body } : null;
    }
    default:
      return null;
  }
}

function canMatchCased(n: Node): boolean {
  switch (n.t) {
    case 'lit':
      return isCased(n.cp);
    case 'set':
      return (
        n.negate ||
        n.items.some((it) => it.cat === 'w' || it.neg === true || it.hi - it.lo > 256 || [...Array(it.hi - it.lo + 1).keys()].some((k) => isCased(it.lo + k)))
      );
    case 'any':
    case 'backref':
      return true;
    default:
      return children(n).some(canMatchCased);
  }
}

function findGroup(n: Node, num: number): Node | null {
  if (n.t === 'group' && n.num === num) return n;
  for (const c of children(n)) {
    const r = findGroup(c, num);
    if (r) return r;
  }
  return null;
}

interface Built {
  re: RegExp;
  /**
   * For patterns V8's linear engine refuses (lookarounds, backreferences): a lookaround-free
   * superset it accepts. A text the gate rejects cannot match; it is checked first, so a hostile
   * near-miss line costs a (linear-bounded) gate run instead of exponential backtracking.
   */
  gate: RegExp | null;
  /**
   * When set, the gate is written over a reduced alphabet and runs on the text mapped with this
   * (Unicode text, a pattern whose backreferences rule out reducing it: its superset has none).
   * With the full Unicode classes the gate would be big, slow to fall back and, past 20 KiB, never
   * optimised by V8.
   */
  gateMap: Uint16Array | null;
  /** Same pattern, sticky (to re-run a match found on the reduced text). */
  sticky: RegExp;
  /** Same pattern with match indices (sticky), to find tracked loops' spans in a found match. */
  withIndices: RegExp | null;
  /** [python name, JS group indices] */
  named: [string, number[]][];
  /** Named groups of a match: the first JS copy of each Python group that took part. */
  groupsOf: (m: RegExpExecArray) => Record<string, string | undefined>;
  /** Tracked loops: [loop, JS indices of its helper group copies]. */
  loops: [Loop, number[]][];
  /** Per-iteration replay patterns, by `${loop.id}:${min}:${max}`. */
  replay: Map<string, Replay>;
  /** `re` and `gate` have their backtrack limit (set on first use: most variants never run). */
  primed: boolean;
}

interface Replay {
  re: RegExp;
  /** JS group holding the rest of the loop after the first iteration. */
  rest: number;
  /** [python number, JS indices] for the loop's named groups. */
  groups: [number, number[]][];
}

/**
 * Builds the reader as one object literal with a fixed key set: every match of a regex then gets
 * the same hidden class at once, instead of growing a fresh object key by key (measured: ~4% of
 * the regex tool's CPU on sshd). Keys are JSON-quoted and indices are numbers, so no config text
 * becomes code.
 */
function groupsReader(named: readonly [string, number[]][]): (m: RegExpExecArray) => Record<string, string | undefined> {
  const props = named.map(([name, idx]) => {
    const value = idx.length === 0 ? 'undefined' : idx.map((i) => `m[${String(Math.trunc(i))}]`).join(' ?? ');
    return `${JSON.stringify(name)}: ${value}`;
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from group names/indices only (see above)
  return new Function('m', `return { ${props.join(', ')} };`) as (m: RegExpExecArray) => Record<string, string | undefined>;
}

function indexGroups(groupMap: number[]): Map<number, number[]> {
  const byNum = new Map<number, number[]>();
  groupMap.forEach((num, js) => {
    if (js > 0 && num !== 0) byNum.set(num, [...(byNum.get(num) ?? []), js]);
  });
  return byNum;
}

const EXTENTS: Extent[] = ['ascii', 'bmp', 'full'];
// Subjects end in the "\n" fail2ban appends (single-line mode): any char that is not plain ASCII
// or is a line terminator besides that final one, or besides what multi-line buffers hold.
const FAST_SINGLE = /[^\x00-\x09\x0b\x0c\x0e-\x7f](?=[^])/;
const FAST_MULTI = /[^\x00-\x0c\x0e-\x7f]/;
const NON_ASCII = /[^\x00-\x7f]/;
const SURROGATE = /[\ud800-\udfff]/;
const DIRTY_SINGLE = /[\r\u2028\u2029]|\n(?=[^])/;
const DIRTY_MULTI = /[\r\u2028\u2029]/;

// The last subject classified: a filter runs several regexes on the same subject in a row, so the
// variant choice is worked out once per subject, not once per regex.
let lastSubject: string | null = null;
let lastMulti = false;
let lastExtent: Extent = 'ascii';
let lastClean = true;

function classify(subject: string, multiline: boolean, ascii: boolean): void {
  if (subject === lastSubject && multiline === lastMulti) return;
  let extent: Extent = 'ascii';
  let clean = true;
  if (!ascii && (multiline ? FAST_MULTI : FAST_SINGLE).test(subject)) {
    if (NON_ASCII.test(subject)) extent = SURROGATE.test(subject) ? 'full' : 'bmp';
    clean = !(multiline ? DIRTY_MULTI : DIRTY_SINGLE).test(subject);
  }
  lastSubject = subject;
  lastMulti = multiline;
  lastExtent = extent;
  lastClean = clean;
}

/**
 * The captures of a match found on the reduced text, as values of the real text `s`, or null
 * when that cannot be told. The reduced run took the same path as a run on `s` would, so every
 * capture has the same span in both. A value without non-ASCII characters is the real text itself
 * (ASCII maps to itself, anything else to a non-ASCII representative). Any other value is read from
 * `s` at its place, when it occurs only once in the reduced text (else its place is unknown).
 */
function realGroups(groups: Record<string, string | undefined>, reduced: string, s: string): Record<string, string | undefined> | null {
  for (const k in groups) {
    const v = groups[k];
    if (v === undefined || !NON_ASCII.test(v)) continue;
    const at = reduced.indexOf(v);
    if (at < 0 || reduced.indexOf(v, at + 1) >= 0) return null;
    groups[k] = s.slice(at, at + v.length);
  }
  return groups;
}

/** The variant's linear gate lets `text` through (always, without a gate). */
function gateOpen(b: Built, text: string): boolean {
  if (!b.gate) return true;
  b.gate.lastIndex = 0;
  return b.gate.test(b.gateMap ? reduceText(text, b.gateMap) : text);
}

/** Variant `b` searched on `text`, behind its gate. */
function gatedExec(b: Built, text: string): RegExpExecArray | null {
  if (!gateOpen(b, text)) return null;
  b.re.lastIndex = 0;
  return b.re.exec(text);
}

export class Compiled implements CompiledRegex {
  readonly source: string;
  readonly groupNames: readonly string[];
  private readonly root: Node;
  private readonly parsed: ParsedPattern;
  private readonly sticky: boolean;
  private readonly multiline: boolean;
  private readonly where: Where | undefined;
  private readonly variants: (Built | undefined)[] = [];
  /** The plain ASCII variant, once ready. */
  private plain: Built | null = null;
  private readonly clauses: string[][];
  readonly prefixes: readonly string[] | null;
  private readonly loops: Loop[];
  /** Single-line mode and matchesAnyLine: a subject with text before its only "\n" matches. */
  private readonly anyLine: boolean;
  readonly tailNames: readonly string[];

  constructor(
    source: string,
    parsed: ParsedPattern,
    root: Node,
    loops: Loop[],
    sticky: boolean,
    multiline: boolean,
    where: Where | undefined,
  ) {
    this.source = source;
    this.loops = loops;
    this.parsed = parsed;
    this.root = root;
    this.sticky = sticky;
    this.multiline = multiline;
    this.where = where;
    this.groupNames = [...parsed.names.keys()];
    this.clauses = requiredLiterals(parsed.root);
    this.prefixes = sticky ? leadingLiterals(root) : null;
    this.anyLine = !multiline && matchesAnyLine(root);
    const tails = multiline ? [] : tailGroups(root);
    this.tailNames = [...parsed.names].filter(([, num]) => tails.includes(num)).map(([name]) => name);
    this.build('ascii', true);
  }

  /** The required-literal clauses used by mayMatch (for diagnostics and tests). */
  get literals(): readonly (readonly string[])[] {
    return this.clauses;
  }

  /** JS source of a variant (for tests and the bench). */
  jsSource(extent: Extent = 'ascii', clean = true): string {
    const b = this.build(extent, clean);
    return `/${b.re.source}/${b.re.flags}`;
  }

  /**
   * What stands between a hostile line and exponential backtracking in a variant: V8's linear
   * fallback (the pattern has no lookaround/backreference), a linear-capable superset gate run
   * first, or nothing. Machine-independent, so the adversarial suite can assert it.
   */
  guard(extent: Extent = 'ascii', clean = true): 'linear' | 'gated' | 'none' {
    const b = this.build(extent, clean);
    if (b.gate) return 'gated';
    return linearCapable(b.re.source, b.re.flags) ? 'linear' : 'none';
  }

  /** Alphabet reductions, computed on first need: [the pattern's, its gate's (superset)]. */
  private readonly reductions: (Reduction | null | undefined)[] = [undefined, undefined];

  /** The pattern's alphabet reduction or, with `superset`, its gate's (null: unsound or unneeded). */
  private reducer(superset = false): Reduction | null {
    const i = superset ? 1 : 0;
    let r = this.reductions[i];
    if (r === undefined) {
      const sets = patternSets(this.root, superset);
      r = this.reductions[i] = sets ? buildReduction(sets) : null;
    }
    return r;
  }

  private build(extent: Extent, clean: boolean, reduced = false): Built {
    const key = EXTENTS.indexOf(extent) * 2 + (clean ? 0 : 1) + (reduced ? 6 : 0);
    const have = this.variants[key];
    if (have) return have;
    const alphabet = reduced ? this.reducer()?.alphabet : undefined;
    const v = alphabet ? { extent, clean, alphabet } : { extent, clean };
    const e = emit(this.root, v, { multiText: this.multiline, sticky: this.sticky });
    const re = this.regExp(e.source, e.flags);
    const byNum = indexGroups(e.groupMap);
    const named: [string, number[]][] = [...this.parsed.names].map(([name, num]) => [name, byNum.get(num) ?? []]);
    const loops: [Loop, number[]][] = this.loops.map((l) => [l, byNum.get(-l.id) ?? []]);
    // `d` (match indices) disables the linear fallback: only used to re-run a found match.
    const withIndices = this.loops.length ? this.regExp(e.source, e.flags.replace('y', '') + 'dy') : null;
    const sticky = e.flags.includes('y') ? re : this.regExp(e.source, e.flags + 'y');
    let gate: RegExp | null = null;
    let gateMap: Uint16Array | null = null;
    if (!linearCapable(e.source, e.flags)) {
      // Unicode text without a reduction of the pattern: the gate's own reduction first, if any
      const gr = extent === 'bmp' && !reduced && !this.reducer() ? this.reducer(true) : null;
      const tries: [typeof v, Uint16Array | null][] = gr ? [[{ extent, clean, alphabet: gr.alphabet }, gr.map]] : [];
      tries.push([v, null]);
      for (const [gv, map] of tries) {
        const g = emit(this.root, { ...gv, superset: true }, { multiText: this.multiline, sticky: this.sticky });
        if (!linearCapable(g.source, g.flags)) continue;
        gate = this.regExp(g.source, g.flags);
        gateMap = map;
        break;
      }
    }
    const built: Built = { re, gate, gateMap, sticky, withIndices, named, groupsOf: groupsReader(named), loops, replay: new Map(), primed: false };
    this.variants[key] = built;
    return built;
  }

  /** A variant about to match lines: the ones that run on every candidate get their size's backtrack limit. */
  private ready(extent: Extent, clean: boolean, reduced = false): Built {
    // nearly every line is plain ASCII: that variant without the key arithmetic of build()
    if (extent === 'ascii' && clean && !reduced && this.plain !== null) return this.plain;
    const b = this.build(extent, clean, reduced);
    if (!b.primed) {
      primeBacktrackLimit(b.re);
      if (b.gate) primeBacktrackLimit(b.gate);
      b.primed = true;
      if (extent === 'ascii' && clean && !reduced) this.plain = b;
    }
    return b;
  }

  private regExp(source: string, flags: string): RegExp {
    try {
      return new RegExp(source, flags);
    } catch (err) {
      throw translateError(`internal translation error (${(err as Error).message})`, this.source, this.where);
    }
  }

  /** `X (?=((?:X'){min,max}$))`: one iteration with captures, the rest must end the (cut) text. */
  private replayFor(b: Built, extent: Extent, loop: Loop, min: number, max: number): Replay {
    const key = `${loop.id}:${min}:${max}`;
    let r = b.replay.get(key);
    if (!r) {
      const rest: Node = {
        t: 'group',
        num: -1,
        body: seq([{ t: 'repeat', body: loop.noCap, min, max, greedy: true }, { t: 'assert', kind: 'eos', multiline: false }]),
      };
      const root = seq([loop.body, { t: 'look', behind: false, neg: false, body: rest }]);
      const e = emit(root, { extent, clean: false }, { multiText: true, sticky: true });
      const byNum = indexGroups(e.groupMap);
      r = {
        re: this.regExp(e.source, e.flags),
        rest: e.groupMap.indexOf(-1),
        groups: loop.nums.map((n) => [n, byNum.get(n) ?? []]),
      };
      b.replay.set(key, r);
    }
    return r;
  }

  /** Python's values for named groups inside tracked loops: the last iteration that set them. */
  private replayLoops(b: Built, extent: Extent, found: RegExpExecArray, s: string, groups: Record<string, string | undefined>): void {
    const d = b.withIndices!;
    d.lastIndex = found.index;
    const m = d.exec(s);
    if (!m) return;
    for (const [loop, idx] of b.loops) {
      const span = idx.map((i) => m.indices?.[i]).find((x) => x !== undefined);
      if (!span) continue;
      const [start, end] = span;
      const cut = s.slice(0, end);
      const values = new Map<number, string>();
      let p = start;
      for (let i = 0; p < end; i++) {
        const r = this.replayFor(b, extent, loop, Math.max(0, loop.min - i - 1), loop.max - i - 1);
        r.re.lastIndex = p;
        const mm = r.re.exec(cut);
        const rest = mm?.[r.rest];
        if (!mm || rest === undefined || end - rest.length <= p) break;
        for (const [num, js] of r.groups) {
          for (const j of js) {
            const v = mm[j];
            if (v !== undefined) {
              values.set(num, v);
              break;
            }
          }
        }
        p = end - rest.length;
      }
      for (const [name, num] of this.parsed.names) if (loop.nums.includes(num)) groups[name] = values.get(num);
    }
  }

  mayMatch(text: string): boolean {
    for (const clause of this.clauses) {
      let ok = false;
      for (const s of clause) {
        if (text.includes(s)) {
          ok = true;
          break;
        }
      }
      if (!ok) return false;
    }
    return true;
  }

  exec(text: string): RegexMatch | null {
    // fail2ban matches `line + "\n"` in single-line mode; multi-line buffers already end in "\n"
    return this.execSubject(this.multiline ? text : text + '\n', false);
  }

  testSubject(s: string, ascii: boolean): boolean {
    // `ascii`: the caller already knows there is no inner "\n" (no scan of the line)
    if (this.anyLine && s.length > 1 && (ascii || s.indexOf('\n') === s.length - 1)) return true;
    classify(s, this.multiline, ascii && !this.multiline);
    const red = lastExtent === 'bmp' ? this.reducer() : null;
    if (red) return gatedExec(this.ready('bmp', lastClean, true), reduceText(s, red.map)) !== null;
    const b = this.ready(lastExtent, lastClean);
    if (!gateOpen(b, s)) return false;
    b.re.lastIndex = 0;
    return b.re.test(s);
  }

  execSubject(s: string, ascii: boolean): RegexMatch | null {
    classify(s, this.multiline, ascii && !this.multiline);
    const extent = lastExtent;
    const red = extent === 'bmp' ? this.reducer() : null;
    let b: Built;
    let m: RegExpExecArray | null;
    if (red) {
      // search the reduced text (see reduce.ts)
      const rb = this.ready(extent, lastClean, true);
      const reduced = reduceText(s, red.map);
      const found = gatedExec(rb, reduced);
      if (!found) return null;
      const groups = this.loops.length === 0 ? realGroups(rb.groupsOf(found), reduced, s) : null;
      if (groups) return { index: found.index, end: found.index + found[0].length, groups };
      // read the captures again on the real text, with the full variant (built only now: with its
      // Unicode classes it is big, slow to run and to fall back, and V8 does not even optimise one
      // over 20 KiB); it only re-reads a known match (sticky), so it needs no priming
      b = this.build(extent, lastClean);
      b.sticky.lastIndex = found.index;
      m = b.sticky.exec(s);
    } else {
      b = this.ready(extent, lastClean);
      m = gatedExec(b, s);
    }
    if (!m) return null;
    const groups = b.groupsOf(m);
    if (b.loops.length) this.replayLoops(b, extent, m, s, groups);
    return { index: m.index, end: m.index + m[0].length, groups };
  }
}

export function compilePython(pyRegex: string, opts: { multiline: boolean; where?: Where }): CompiledRegex {
  enableLinearFallback();
  const where = opts.where;
  const text = pyRegex.replace(GLOBAL_TO_LOCAL, '$1:');
  const parsed = parsePython(text, { multiline: opts.multiline, where });
  const fail = (msg: string): never => {
    throw translateError(`cannot translate: ${msg}`, pyRegex, where);
  };
  const visit = (n: Node): void => {
    if (n.t === 'backref' && n.ci) {
      const g = findGroup(parsed.root, n.num);
      if (g && canMatchCased(g)) fail(`case-insensitive backreference to group ${n.num}`);
    }
    children(n).forEach(visit);
  };
  visit(parsed.root);
  const tracked = trackLoops(simplify(removeConditionals(parsed.root, fail)), new Set(parsed.names.values()), fail);
  let root = tracked.root;
  const stripped = stripStart(root);
  const sticky = stripped !== null;
  if (stripped) root = stripped;
  return new Compiled(pyRegex, parsed, root, tracked.loops, sticky, opts.multiline, where);
}

export function compileFailRegex(regex: string, opts: { multiline: boolean; usedns?: string | null; where?: Where }): CompiledRegex {
  const py = expandTags(regex, { usedns: opts.usedns ?? null });
  return compilePython(py, { multiline: opts.multiline, ...(opts.where ? { where: opts.where } : {}) });
}
