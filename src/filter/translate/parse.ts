/**
 * Parser for Python 3.11 `re` syntax (str patterns) into the AST of ast.ts. It follows
 * `sre_parse`'s grammar and its errors (bad escape, unknown group, global flags not at the
 * start …), so a pattern Python rejects is rejected here too instead of being guessed at.
 */
import type { Where } from '../../config/types.js';
import { RegexTranslateError } from '../../core/errors.js';
import type { ClassItem, Node, ParsedPattern } from './ast.js';
import { charByName } from './char-names.js';
import { alt, seq, EMPTY } from './ast.js';
import type { Category } from './charset.js';

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
  a: boolean;
}

const MAXREPEAT = 4294967295;
const OCT = /^[0-7]$/;
const DIGIT = /^[0-9]$/;
const ASCII_LETTER = /^[a-zA-Z]$/;
/** Python's inline flag letters (`t`, template, is accepted and does nothing). */
const FLAG_CHARS = 'aiLmsuxt';
/** Python's str.isidentifier(), near enough for group names. */
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
const CATEGORIES: Record<string, [Category, boolean]> = {
  d: ['d', false],
  D: ['d', true],
  w: ['w', false],
  W: ['w', true],
  s: ['s', false],
  S: ['s', true],
};

export function translateError(msg: string, pattern: string, where?: Where, pythonReason?: string): RegexTranslateError {
  const shown = pattern.length > 200 ? `${pattern.slice(0, 200)}…` : pattern;
  const fault = pythonReason === undefined ? undefined : { kind: 'compile' as const, reason: pythonReason, pattern };
  return new RegexTranslateError(`${msg} in regex ${JSON.stringify(shown)}`, where, fault);
}

class Parser {
  pos = 0;
  groups = 0;
  readonly names = new Map<string, number>();
  readonly open = new Set<number>();
  readonly src: string;
  readonly where: Where | undefined;

  constructor(src: string, where: Where | undefined) {
    this.src = src;
    this.where = where;
  }

  /** `at`: Python's position for the message, an index into the pattern as written; null for none. */
  fail(msg: string, at: number | null = this.pos): never {
    const where = at === null ? '' : ` at position ${at}`;
    throw translateError(`invalid Python regex: ${msg}${where}`, this.src, this.where, `${msg}${where}`);
  }

  peek(): string | undefined {
    if (this.pos >= this.src.length) return undefined;
    return String.fromCodePoint(this.src.codePointAt(this.pos)!);
  }

  next(): string | undefined {
    const c = this.peek();
    if (c !== undefined) this.pos += c.length;
    return c;
  }

  match(s: string): boolean {
    if (this.src.startsWith(s, this.pos)) {
      this.pos += s.length;
      return true;
    }
    return false;
  }

  skipVerbose(f: Flags): void {
    if (!f.x) return;
    for (;;) {
      const c = this.peek();
      if (c === undefined) return;
      if (c === '#') {
        while (this.peek() !== undefined && this.peek() !== '\n') this.next();
      } else if (' \t\n\r\v\f'.includes(c)) this.next();
      else return;
    }
  }

  /** Alternation up to `)` or end. `first`: the pattern's very first alternative (global flags). */
  parseAlt(f: Flags, first: boolean): Node {
    const alts: Node[] = [this.parseSeq(f, first)];
    while (this.match('|')) alts.push(this.parseSeq(f, false));
    return alt(alts);
  }

  parseSeq(f: Flags, first: boolean): Node {
    const items: Node[] = [];
    for (;;) {
      this.skipVerbose(f);
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      if (c === '(' && this.src.startsWith('(?', this.pos) && this.isGlobalFlags()) {
        if (!first || items.length > 0) this.fail('global flags not at the start of the expression');
        this.parseGlobalFlags(f);
        continue;
      }
      let atom = this.parseAtom(f);
      if (atom === null) continue; // comment
      this.skipVerbose(f);
      atom = this.parseQuantifier(atom, f);
      items.push(atom);
    }
    return seq(items);
  }

  isGlobalFlags(): boolean {
    const m = /^\(\?[aiLmsuxt]+\)/.exec(this.src.slice(this.pos, this.pos + 12));
    return m !== null;
  }

  parseGlobalFlags(f: Flags): void {
    this.match('(?');
    for (const c of this.flagSpec().on) this.setFlag(f, c, true);
  }

  setFlag(f: Flags, c: string | undefined, on: boolean): void {
    switch (c) {
      case 'i':
      case 'm':
      case 's':
      case 'x':
      case 'a':
        f[c] = on;
        return;
      case 'u':
        // flagSpec has refused `a` and `u` together; `(?u:…)` inside an ASCII pattern is Unicode
        if (on) f.a = false;
        return;
      case 't':
        return;
      default:
        this.fail('unknown flag');
    }
  }

  parseQuantifier(atom: Node, f: Flags): Node {
    let out = atom;
    let quantified = false;
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number;
      const qpos = this.pos;
      if (c === '*' || c === '+' || c === '?') {
        this.next();
        [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
      } else if (c === '{') {
        const m = /^\{(\d*)(?:(,)(\d*))?\}/.exec(this.src.slice(this.pos));
        if (!m || this.src.startsWith('{}', this.pos)) return out; // literal '{' (handled by caller loop)
        this.pos += m[0].length;
        min = m[1] ? Number(m[1]) : 0;
        max = m[2] ? (m[3] ? Number(m[3]) : Infinity) : m[1] ? Number(m[1]) : Infinity;
        if (min >= MAXREPEAT || (max !== Infinity && max >= MAXREPEAT)) this.fail('the repetition number is too large');
        // Python counts from just after the `{`
        if (max < min) this.fail('min repeat greater than max repeat', qpos + 1);
      } else return out;
      if (quantified) this.fail('multiple repeat', qpos);
      if (atom.t === 'assert' || atom.t === 'wordb' || atom.t === 'empty') this.fail('nothing to repeat', qpos);
      let greedy = true;
      let possessive = false;
      if (this.match('?')) greedy = false;
      else if (this.match('+')) possessive = true;
      out = { t: 'repeat', body: atom, min, max, greedy };
      if (possessive) out = { t: 'atomic', body: out };
      quantified = true;
      this.skipVerbose(f);
    }
  }

  parseAtom(f: Flags): Node | null {
    const start = this.pos;
    const c = this.next()!;
    switch (c) {
      case '.':
        return { t: 'any', dotall: f.s };
      case '^':
        return { t: 'assert', kind: 'bol', multiline: f.m };
      case '$':
        return { t: 'assert', kind: 'eol', multiline: f.m };
      case '[':
        return this.parseClass(f);
      case '\\':
        return this.parseEscape(f);
      case '(':
        return this.parseGroup(f);
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat', start);
      case '{':
        // literal '{' unless it forms a valid quantifier, which would have nothing to repeat
        if (/^\{\d*(?:,\d*)?\}/.test(this.src.slice(start)) && !this.src.startsWith('{}', start)) {
          this.fail('nothing to repeat', start);
        }
        return { t: 'lit', cp: 0x7b, ci: f.i };
      default:
        return { t: 'lit', cp: c.codePointAt(0)!, ci: f.i };
    }
  }

  parseGroup(f: Flags): Node | null {
    // Python reports an unclosed group at its `(`, and most group errors relative to it
    const start = this.pos - 1;
    if (!this.match('?')) return this.capture(null, f, start);
    if (this.peek() === undefined) return this.fail('unexpected end of pattern');
    if (this.match(':')) return this.groupBody(f, start);
    if (this.match('P<')) {
      const at = this.pos;
      const name = this.readName('>');
      if (this.names.has(name)) {
        this.fail(`redefinition of group name '${name}' as group ${this.groups + 1}; was group ${this.names.get(name)!}`, at);
      }
      return this.capture(name, f, start);
    }
    if (this.match('P=')) {
      const at = this.pos;
      const name = this.readName(')');
      const num = this.names.get(name);
      if (num === undefined) this.fail(`unknown group name '${name}'`, at);
      if (this.open.has(num)) this.fail('cannot refer to an open group', at);
      return { t: 'backref', num, ci: f.i };
    }
    if (this.match('P')) {
      const c = this.peek();
      if (c === undefined) return this.fail('unexpected end of pattern');
      return this.fail(`unknown extension ?P${c}`, start + 1);
    }
    if (this.match('#')) {
      while (this.peek() !== ')') {
        if (this.next() === undefined) this.fail('missing ), unterminated comment', start);
      }
      this.next();
      return null;
    }
    if (this.match('=')) return this.look(false, false, f, start);
    if (this.match('!')) return this.look(false, true, f, start);
    if (this.match('<=')) return this.look(true, false, f, start);
    if (this.match('<!')) return this.look(true, true, f, start);
    if (this.match('<')) {
      const c = this.peek();
      if (c === undefined) return this.fail('unexpected end of pattern');
      return this.fail(`unknown extension ?<${c}`, start + 1);
    }
    if (this.match('>')) {
      const body = this.parseAlt({ ...f }, false);
      this.close(start);
      return { t: 'atomic', body };
    }
    if (this.match('(')) return this.parseCond(f, start);
    const c = this.peek()!;
    if (FLAG_CHARS.includes(c) || c === '-') {
      const spec = this.flagSpec();
      // global flags at the very start were taken by parseSeq
      if (spec.global) return this.fail('global flags not at the start of the expression', start);
      const inner = { ...f };
      for (const ch of spec.on) this.setFlag(inner, ch, true);
      for (const ch of spec.off) this.setFlag(inner, ch, false);
      return this.groupBody(inner, start);
    }
    return this.fail(`unknown extension ?${c}`, start + 1);
  }

  /**
   * The flags of `(?aiLmsux-imsx:` or `(?aiLmsux)` after the `?`, checked as Python does (its
   * messages and positions); `global` for the form ending in `)`.
   */
  flagSpec(): { on: string; off: string; global: boolean } {
    let on = '';
    let off = '';
    // the caller saw a flag letter or `-` here
    let c: string | undefined = this.next() ?? '';
    const isAlpha = (x: string): boolean => /^\p{L}$/u.test(x);
    if (c !== '-') {
      for (;;) {
        if (c === 'L') this.fail("bad inline flags: cannot use 'L' flag with a str pattern");
        on += c;
        if (on.includes('a') && on.includes('u')) this.fail("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
        c = this.next();
        if (c === undefined) return this.fail('missing -, : or )');
        if (c === ')' || c === '-' || c === ':') break;
        if (!FLAG_CHARS.includes(c)) this.fail(isAlpha(c) ? 'unknown flag' : 'missing -, : or )', this.pos - c.length);
      }
    }
    if (c === ')') return { on, off, global: true };
    if (on.includes('t')) this.fail('bad inline flags: cannot turn on global flag', this.pos - 1);
    if (c === '-') {
      c = this.next();
      if (c === undefined) return this.fail('missing flag');
      if (!FLAG_CHARS.includes(c)) this.fail(isAlpha(c) ? 'unknown flag' : 'missing flag', this.pos - c.length);
      for (;;) {
        if (c === 'a' || c === 'u' || c === 'L') this.fail("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
        off += c;
        c = this.next();
        if (c === undefined) return this.fail('missing :');
        if (c === ':') break;
        if (!FLAG_CHARS.includes(c)) this.fail(isAlpha(c) ? 'unknown flag' : 'missing :', this.pos - c.length);
      }
    }
    if (off.includes('t')) this.fail('bad inline flags: cannot turn off global flag', this.pos - 1);
    if (Array.from(on).some((x) => off.includes(x))) this.fail('bad inline flags: flag turned on and off', this.pos - 1);
    return { on, off, global: false };
  }

  /** `start`: the group's `(`. */
  capture(name: string | null, f: Flags, start: number): Node {
    const num = ++this.groups;
    if (name !== null) this.names.set(name, num);
    this.open.add(num);
    const body = this.parseAlt({ ...f }, false);
    this.close(start);
    this.open.delete(num);
    return { t: 'group', num, body };
  }

  groupBody(f: Flags, start: number): Node {
    const body = this.parseAlt({ ...f }, false);
    this.close(start);
    return { t: 'group', num: null, body };
  }

  look(behind: boolean, neg: boolean, f: Flags, start: number): Node {
    const body = this.parseAlt({ ...f }, false);
    this.close(start);
    if (behind) {
      const [lo, hi] = width(body);
      // Python finds this when compiling, and names no position
      if (lo !== hi) this.fail('look-behind requires fixed-width pattern', null);
    }
    return { t: 'look', behind, neg, body };
  }

  close(start: number): void {
    if (!this.match(')')) this.fail('missing ), unterminated subpattern', start);
  }

  /** The name up to `term`; `identifier`: it must be one (a conditional also takes a number). */
  readName(term: string, identifier = true): string {
    const end = this.src.indexOf(term, this.pos);
    if (end === this.pos) this.fail('missing group name', end);
    if (end < 0 && this.pos >= this.src.length) this.fail('missing group name');
    if (end < 0) this.fail(`missing ${term}, unterminated name`);
    const name = this.src.slice(this.pos, end);
    if (!(IDENTIFIER.test(name) || (!identifier && /^\d+$/.test(name)))) {
      this.fail(`bad character in group name '${name}'`);
    }
    this.pos = end + term.length;
    return name;
  }

  parseCond(f: Flags, start: number): Node {
    const ref = this.readRef();
    const body = { ...f };
    const yes = this.parseSeq(body, false);
    let no: Node = EMPTY;
    if (this.match('|')) {
      no = this.parseSeq(body, false);
      if (this.peek() === '|') this.fail('conditional backref with more than two branches');
    }
    this.close(start);
    return { t: 'cond', num: ref, yes, no };
  }

  readRef(): number {
    const at = this.pos;
    const name = this.readName(')', false);
    if (/^\d+$/.test(name)) {
      const n = Number(name);
      if (n === 0) this.fail('bad group number', at);
      this.pendingRefs.push([n, at]);
      return n;
    }
    const num = this.names.get(name);
    if (num === undefined) this.fail(`unknown group name '${name}'`, at);
    return num;
  }

  readonly pendingRefs: [number, number][] = [];

  parseEscape(f: Flags): Node {
    const start = this.pos - 1;
    const c = this.next();
    if (c === undefined) return this.fail('bad escape (end of pattern)', start);
    const cat = CATEGORIES[c];
    if (cat) return { t: 'set', items: [{ lo: 0, hi: 0, cat: cat[0], neg: cat[1] }], negate: false, ci: false, ascii: f.a };
    switch (c) {
      case 'A':
        return { t: 'assert', kind: 'bos', multiline: false };
      case 'Z':
        return { t: 'assert', kind: 'eos', multiline: false };
      case 'b':
        return { t: 'wordb', neg: false, ascii: f.a };
      case 'B':
        return { t: 'wordb', neg: true, ascii: f.a };
    }
    if (c === '0') {
      let digits = '';
      while (digits.length < 2 && OCT.test(this.peek() ?? '')) digits += this.next()!;
      return { t: 'lit', cp: parseInt(digits || '0', 8), ci: f.i };
    }
    if (DIGIT.test(c)) {
      const d1 = this.peek() ?? '';
      const d2 = this.src[this.pos + 1] ?? '';
      if (OCT.test(c) && OCT.test(d1) && OCT.test(d2)) {
        this.pos += 2;
        const v = parseInt(c + d1 + d2, 8);
        if (v > 0o377) this.fail(`octal escape value \\${c}${d1}${d2} outside of range 0-0o377`, start);
        return { t: 'lit', cp: v, ci: f.i };
      }
      let num = c;
      if (DIGIT.test(d1)) num += this.next()!;
      const n = Number(num);
      if (n > this.groups) this.fail(`invalid group reference ${n}`, start + 1);
      if (this.open.has(n)) this.fail('cannot refer to an open group', start);
      return { t: 'backref', num: n, ci: f.i };
    }
    const cp = this.commonEscape(c, start);
    return { t: 'lit', cp, ci: f.i };
  }

  /** Escapes shared by patterns and classes (after categories/digits). */
  commonEscape(c: string, start: number): number {
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return simple;
    const hexLen = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
    if (hexLen) {
      const h = this.src.slice(this.pos, this.pos + hexLen);
      // Python names the escape with the hex digits it could read
      const read = /^[0-9a-fA-F]*/.exec(h)![0];
      if (read.length !== hexLen) this.fail(`incomplete escape \\${c}${read}`, start);
      this.pos += hexLen;
      const v = parseInt(h, 16);
      if (v > 0x10ffff) this.fail(`bad escape \\${c}${h}`, start);
      return v;
    }
    if (c === 'N') return this.namedChar(start);
    if (ASCII_LETTER.test(c) || DIGIT.test(c)) this.fail(`bad escape \\${c}`, start);
    return c.codePointAt(0)!;
  }

  /** `\N{NAME}` (after the N), with Python's errors and positions for a malformed one. */
  namedChar(start: number): number {
    if (!this.match('{')) this.fail('missing {', this.pos);
    const open = this.pos;
    const close = this.src.indexOf('}', open);
    if (close === open || (close < 0 && open === this.src.length)) this.fail('missing character name', open);
    if (close < 0) this.fail('missing }, unterminated name', open);
    const name = this.src.slice(open, close);
    this.pos = close + 1;
    const cp = charByName(name);
    if (cp === undefined) {
      // never a guess: a name we cannot resolve stops the filter with its file:line
      throw translateError(
        `\\N{${name}} at position ${start}: character name not known to logjail (it knows ASCII, ` +
          'Latin-1 and General Punctuation names and their aliases); write the character as \\uXXXX',
        this.src,
        this.where,
      );
    }
    return cp;
  }

  parseClass(f: Flags): Node {
    const start = this.pos - 1;
    const negate = this.match('^');
    const items: ClassItem[] = [];
    const first = this.pos;
    for (;;) {
      const itemStart = this.pos;
      const c = this.next();
      if (c === undefined) this.fail('unterminated character set', start);
      if (c === ']' && this.pos - 1 !== first) break;
      const a = c === '\\' ? this.classEscape() : { lo: c.codePointAt(0)!, hi: c.codePointAt(0)! };
      if (this.peek() === '-') {
        this.next();
        const d = this.next();
        if (d === undefined) this.fail('unterminated character set', start);
        if (d === ']') {
          items.push(a, { lo: 0x2d, hi: 0x2d });
          break;
        }
        const b = d === '\\' ? this.classEscape() : { lo: d.codePointAt(0)!, hi: d.codePointAt(0)! };
        if (a.cat || b.cat || b.lo < a.lo) this.fail(`bad character range ${this.src.slice(itemStart, this.pos)}`, itemStart);
        items.push({ lo: a.lo, hi: b.lo });
      } else items.push(a);
    }
    return { t: 'set', items, negate, ci: f.i, ascii: f.a };
  }

  classEscape(): ClassItem {
    const start = this.pos - 1;
    const c = this.next();
    if (c === undefined) return this.fail('bad escape (end of pattern)', start);
    const cat = CATEGORIES[c];
    if (cat) return { lo: 0, hi: 0, cat: cat[0], neg: cat[1] };
    if (c === 'b') return { lo: 8, hi: 8 };
    if (OCT.test(c)) {
      let digits = c;
      while (digits.length < 3 && OCT.test(this.peek() ?? '')) digits += this.next()!;
      const v = parseInt(digits, 8);
      if (v > 0o377) this.fail(`octal escape value \\${digits} outside of range 0-0o377`, start);
      return { lo: v, hi: v };
    }
    const cp = this.commonEscape(c, start);
    return { lo: cp, hi: cp };
  }
}

/** Min/max width in code points (Infinity when unbounded), as Python's getwidth. */
export function width(n: Node): [number, number] {
  switch (n.t) {
    case 'lit':
    case 'set':
    case 'any':
      return [1, 1];
    case 'seq': {
      let lo = 0;
      let hi = 0;
      for (const it of n.items) {
        const [a, b] = width(it);
        lo += a;
        hi += b;
      }
      return [lo, hi];
    }
    case 'alt': {
      const ws = n.alts.map(width);
      return [Math.min(...ws.map((w) => w[0])), Math.max(...ws.map((w) => w[1]))];
    }
    case 'cond': {
      const a = width(n.yes);
      const b = width(n.no);
      return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
    }
    case 'group':
    case 'atomic':
      return width(n.body);
    case 'repeat': {
      const [a, b] = width(n.body);
      return [a * n.min, b === 0 ? 0 : b * n.max];
    }
    case 'backref':
      return [0, Infinity];
    default:
      return [0, 0];
  }
}

/** Parse a Python regex. `multiline` = compiled with re.MULTILINE. */
export function parsePython(src: string, opts: { multiline: boolean; where?: Where | undefined }): ParsedPattern {
  const p = new Parser(src, opts.where);
  const f: Flags = { i: false, m: opts.multiline, s: false, x: false, a: false };
  // Global flags (only allowed at the start) must be known before anything is parsed.
  const save = p.pos;
  while (p.isGlobalFlags()) p.parseGlobalFlags(f);
  p.pos = save;
  const root = p.parseAlt(f, true);
  if (p.pos < src.length) p.fail('unbalanced parenthesis');
  for (const [n, at] of p.pendingRefs) if (n > p.groups) p.fail(`invalid group reference ${n}`, at);
  return { root, groups: p.groups, names: p.names, multiline: f.m };
}
