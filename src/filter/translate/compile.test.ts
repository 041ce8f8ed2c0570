import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RegexTranslateError } from '../../core/errors.js';
import { categorySet, pairsOf } from './charset.js';
import { Compiled } from './compile.js';
import { compileFailRegex, compilePython } from './index.js';

interface Fixture {
  python: string;
  tags: Record<string, string>;
  cases: {
    pattern: string;
    mode: 'single' | 'multi';
    results: { text: string; expect: { span: [number, number]; groups: Record<string, string | null> } | null }[];
  }[];
  errors: { pattern: string; python: string }[];
  unicode: Record<'w' | 'd' | 's', [number, number][]>;
}

// Expected results produced by CPython's `re` (fixtures/gen-python-cases.py).
const fx = JSON.parse(readFileSync(new URL('./fixtures/python-cases.json', import.meta.url), 'utf8')) as Fixture;

function actual(pattern: string, multiline: boolean, text: string): unknown {
  const m = compilePython(pattern, { multiline }).exec(text);
  if (!m) return null;
  const groups: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(m.groups)) groups[k] = v ?? null;
  return { span: [m.index, m.end], groups };
}

describe('compilePython matches CPython re.search', () => {
  for (const c of fx.cases) {
    describe(`${c.mode} ${JSON.stringify(c.pattern).slice(0, 120)}`, () => {
      for (const r of c.results) {
        it(JSON.stringify(r.text), () => {
          // Python spans count code points; ours are UTF-16 indices into the same string.
          const searched = c.mode === 'multi' ? r.text : r.text + '\n';
          const u16 = (cp: number): number => Array.from(searched).slice(0, cp).join('').length;
          const want = r.expect && { ...r.expect, span: r.expect.span.map(u16) };
          expect(actual(c.pattern, c.mode === 'multi', r.text)).toEqual(want);
        });
      }
    });
  }
});

describe('patterns Python rejects are rejected, with its message and position', () => {
  for (const e of fx.errors) {
    it(e.pattern, () => {
      let err: unknown;
      try {
        compilePython(e.pattern, { multiline: false });
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(RegexTranslateError);
      expect((err as Error).message).toMatch(new RegExp(`^invalid Python regex: ${escapeRe(e.python)} in regex `));
    });
  }
});

const escapeRe = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

describe('\\N{NAME} named characters', () => {
  const search = (p: string, t: string): string | null => {
    const m = compilePython(p, { multiline: false }).exec(t);
    return m ? t.slice(m.index, m.end) : null;
  };
  it('resolve as Python does (names and aliases, any case, in classes and ranges)', () => {
    expect(search('a\\N{NO-BREAK SPACE}b', 'xa\u00a0b')).toBe('a\u00a0b');
    expect(search('a\\N{nbsp}\\N{latin small letter e with acute}', 'a\u00a0\u00e9')).toBe('a\u00a0\u00e9');
    expect(search('\\N{TAB}\\N{LF}?', '\t')).toBe('\t');
    expect(search('[\\N{EN DASH}\\N{EM DASH}]+', 'x\u2013\u2014-')).toBe('\u2013\u2014');
    expect(search('^[\\N{SPACE}-\\N{TILDE}]+$', 'plain ASCII~')).toBe('plain ASCII~');
    expect(search('\\N{ZWSP}\\N{BOM}\\N{REPLACEMENT CHARACTER}', '\u200b\ufeff\ufffd')).toBe('\u200b\ufeff\ufffd');
  });
  it('malformed ones fail with Python\'s message and position', () => {
    const err = (p: string): string => {
      try {
        compilePython(p, { multiline: false });
      } catch (e) {
        return (e as Error).message;
      }
      return 'compiled';
    };
    expect(err('a\\Nx')).toMatch(/^invalid Python regex: missing \{ at position 3 /);
    expect(err('a\\N{')).toMatch(/^invalid Python regex: missing character name at position 4 /);
    expect(err('a\\N{}')).toMatch(/^invalid Python regex: missing character name at position 4 /);
    expect(err('a\\N{SPACE')).toMatch(/^invalid Python regex: missing \}, unterminated name at position 4 /);
  });
  it('a name we do not know stops the filter with its file:line, never a guess', () => {
    expect(() =>
      compilePython('x\\N{HANGUL SYLLABLE GA}', { multiline: false, where: { file: 'filter.d/k.conf', line: 3 } }),
    ).toThrow(/^filter\.d\/k\.conf:3: \\N\{HANGUL SYLLABLE GA\} at position 1: character name not known to logjail/);
    expect(() => compilePython('\\N{ SPACE}', { multiline: false })).toThrow(/character name not known/);
  });
});

describe('errors name their origin', () => {
  it('puts file:line and the construct in the message', () => {
    expect(() => compilePython('a(?i)b', { multiline: false, where: { file: 'filter.d/x.conf', line: 7 } })).toThrow(
      /^filter\.d\/x\.conf:7: invalid Python regex: global flags not at the start/,
    );
  });
  it('refuses constructs it cannot reproduce faithfully', () => {
    // Python keeps a capture from an earlier iteration; JS would clear it.
    expect(() => compilePython('(?:(?:(?P<a>a)|b)+c)+', { multiline: false })).toThrow(/nested repetitions/);
    expect(() => compilePython('(?:(?<=x)(?P<a>a)|b)+', { multiline: false })).toThrow(/repeated group/);
    expect(() => compilePython('(?:(?P<a>a)|b)+(?(a)x|y)', { multiline: false })).toThrow(RegexTranslateError);
    expect(() => compilePython('(?i)(?P<a>\\w)(?P=a)', { multiline: false })).toThrow(/case-insensitive backreference/);
  });
  it('rejects two <HOST> tags like Python does (duplicate group names)', () => {
    expect(() => compileFailRegex('<HOST> <HOST>', { multiline: false })).toThrow(/redefinition of group name 'ip4'/);
  });
});

describe('Unicode classes equal Python str semantics over the BMP', () => {
  for (const cat of ['w', 'd', 's'] as const) {
    it(`\\${cat}`, () => {
      const ours = pairsOf(categorySet(cat, 'bmp', false));
      const theirs = fx.unicode[cat];
      // Unicode versions may differ between CPython and V8's ICU: allow a few newly assigned chars.
      const diff = symmetricDiffCount(ours, theirs);
      expect(diff).toBeLessThan(cat === 's' ? 1 : 400);
    });
  }
});

function symmetricDiffCount(a: [number, number][], b: [number, number][]): number {
  const inA = new Set<number>();
  for (const [lo, hi] of a) for (let c = lo; c <= hi; c++) inA.add(c);
  let n = 0;
  const inB = new Set<number>();
  for (const [lo, hi] of b) for (let c = lo; c <= hi; c++) inB.add(c);
  for (const c of inA) if (!inB.has(c)) n++;
  for (const c of inB) if (!inA.has(c)) n++;
  return n;
}

function inspect(r: unknown): Compiled {
  if (!(r instanceof Compiled)) throw new Error('not a Compiled');
  return r;
}

describe('CompiledRegex', () => {
  it('exposes source and Python group names', () => {
    const r = compileFailRegex('^Failed for <F-USER>\\S+</F-USER> from <HOST>$', { multiline: false });
    expect(r.source).toContain('(?P<user>\\S+)');
    expect(r.groupNames).toEqual(['user', 'ip4', 'ip6', 'dns']);
  });

  it('mayMatch rejects lines missing a required literal and never rejects a match', () => {
    const r = compileFailRegex('^Failed (?:password|publickey) for <F-USER>\\S+</F-USER> from <HOST>', { multiline: false });
    expect(r.mayMatch('Accepted password for bob from 1.2.3.4')).toBe(false);
    expect(r.mayMatch('Failed keyboard for bob from 1.2.3.4')).toBe(false);
    const ok = 'Failed password for bob from 1.2.3.4';
    expect(r.mayMatch(ok)).toBe(true);
    expect(r.exec(ok)?.groups).toMatchObject({ user: 'bob', ip4: '1.2.3.4' });
  });

  it('derives literals through groups and alternations', () => {
    const r = inspect(compilePython('^x(?:abc|abd)y(?P<n>\\d+) login failed', { multiline: false }));
    expect(r.literals[0]).toEqual([' login failed']);
    expect(r.literals.flat()).toEqual(expect.arrayContaining(['abc', 'abd']));
    expect(compilePython('(?i)login', { multiline: false }).mayMatch('LOGIN')).toBe(true);
  });

  it('uses a lookaround-free ASCII variant for ordinary lines', () => {
    const r = inspect(compilePython('^a\\w+\\b$', { multiline: false }));
    expect(r.jsSource()).toBe('/a[0-9A-Z_a-z]+\\b$/my');
  });

  it('reads the captures of Unicode text at their own place, also when the reduced text repeats them', () => {
    // é and ü are both \w: the reduced search text writes them alike
    const r = compilePython('(?P<a>\\w)x$', { multiline: false });
    expect(r.exec('éxüx')).toEqual({ index: 2, end: 4, groups: { a: 'ü' } });
    const u = compilePython('(?P<a>\\w+) from (?P<h>\\S+)$', { multiline: false });
    expect(u.exec('user é from h1')?.groups).toEqual({ a: 'é', h: 'h1' });
    expect(u.exec('user é from hü')?.groups).toEqual({ a: 'é', h: 'hü' });
  });

  it('gates Unicode text on the reduced alphabet also when a backreference rules out reducing the pattern', () => {
    const r = compilePython('^(?P<u>\\w+) said (?P=u)(?! again)', { multiline: false });
    expect(r.exec('été said été')?.groups).toEqual({ u: 'été' });
    expect(r.exec('été said ütü')).toBeNull();
    expect(r.exec('été said été again')).toBeNull();
    expect(r.exec('été said nothing')).toBeNull();
  });

  it('is stable across repeated calls and variants', () => {
    const r = compilePython('(?P<w>\\w+)$', { multiline: false });
    for (const t of ['abc', 'été', 'a\rb', 'x😀y', 'abc']) {
      expect(r.exec(t)).toEqual(r.exec(t));
    }
    expect(r.exec('x😀y')?.groups.w).toBe('y');
    expect(r.exec('a\rb')?.groups.w).toBe('b');
  });
});
