import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFilter } from '../../config/index.js';
import { corpusDir } from '../../config/tree.case.js';
import { matchesAnyLine, tailGroups } from './line-shape.js';
import { compileFailRegex, compilePython } from './compile.js';
import { parsePython } from './parse.js';

const anyLine = (py: string): boolean => matchesAnyLine(parsePython(py, { multiline: false }).root);

describe('matchesAnyLine', () => {
  it('takes optional prefixes before .+$', () => {
    expect(anyLine('^(?P<mlfid>\\s*(?:\\S+\\s+)?(?:x\\[\\d+\\]: )?)(?:(?:error|fatal): )?(?P<content>.+)$')).toBe(true);
    expect(anyLine('(?:a|)(?P<content>.+?)$')).toBe(true);
  });

  it('refuses anything that can make a non-empty line fail', () => {
    for (const py of ['^x(?P<content>.+)$', '^.+\\Z', '^.{2,}$', '(?s)^.+$', '^\\b.+$', '^(?=a).+$', '(?m)^.+$', '^(?:a+)?.+', '(?P<c>.+)x$']) {
      expect({ py, any: anyLine(py) }).toEqual({ py, any: false });
    }
  });

  const corpus = join(corpusDir(), 'config');
  it.skipIf(!existsSync(corpus))('finds the stock prefregexes built on __prefix_line', () => {
    const found: string[] = [];
    const tail: string[] = [];
    for (const f of readdirSync(join(corpus, 'filter.d'))) {
      if (!f.endsWith('.conf') || f.includes('common')) continue;
      const def = readFilter(corpus, f.slice(0, -5));
      if (!def.prefregex) continue;
      if (compiledAnyLine(def.prefregex)) found.push(f.slice(0, -5));
      if (compileFailRegex(def.prefregex, { multiline: false }).tailNames?.includes('content')) tail.push(f.slice(0, -5));
    }
    expect(found).toEqual(expect.arrayContaining(['dovecot', 'exim', 'sendmail-auth', 'sshd']));
    expect(found).not.toContain('xinetd-fail');
    expect(tail).toEqual(expect.arrayContaining([...found, 'xinetd-fail', 'apache-auth']));
    expect(tail).not.toContain('named-refused');
  });
});

function compiledAnyLine(prefregex: string): boolean {
  const r = compileFailRegex(prefregex, { multiline: false });
  return (r as unknown as { anyLine: boolean }).anyLine;
}

describe('testSubject of a pattern that matches any line', () => {
  const py = '^(?P<mlfid>(?:\\[\\])?\\s*(?:\\S+\\s+)?(?:[\\[\\(]?sshd[\\]\\)]?:?(?:\\[\\d+\\])?:?\\s+)?)(?:(?:error|fatal): )?(?P<content>.+)$';
  const r = compilePython(py, { multiline: false });

  it('is what the regex itself answers, on any text', () => {
    expect(compiledAnyLine(py)).toBe(true);
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '\n', '\r', 's', 'h', 'd', '[', ']', '1', ':', 'é', '😀', '\u2028'), maxLength: 12 });
    fc.assert(
      fc.property(text, (t) => {
        expect(r.testSubject(t + '\n', false)).toBe(r.exec(t) !== null);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('tailGroups', () => {
  const tails = (py: string): number[] => tailGroups(parsePython(py, { multiline: false }).root);

  it('names the groups that hold a final .* or .+ before $', () => {
    expect(tails('^x (?P<content>.+)$')).toEqual([1]);
    expect(tails('^(a)((?P<c>.*?))$')).toEqual([2, 3]);
    for (const py of ['(?P<c>.+) x$', '(?P<c>.+)\\Z', '(?s)(?P<c>.+)$', '(?P<c>.{0,9})$', '(?P<c>[^\\n]+)$', '(?m)(?P<c>.+)$']) {
      expect({ py, tails: tails(py) }).toEqual({ py, tails: [] });
    }
  });

  it("a tail group's value is the end of the subject before its final newline", () => {
    const r = compilePython('^(?:\\S+ )?(?:(?P<pre>[a-z]+): )?(?P<content>.*)$', { multiline: false });
    expect((r as unknown as { tailNames: string[] }).tailNames).toEqual(['content']);
    const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', '\n', '\r', 'é', '😀'), maxLength: 14 });
    let checked = 0;
    fc.assert(
      fc.property(text, (t) => {
        const s = t + '\n';
        const c = r.execSubject(s, false)?.groups.content;
        if (!c) return;
        checked++;
        expect(s.slice(s.length - 1 - c.length, -1)).toBe(c);
      }),
      { numRuns: 3000 },
    );
    expect(checked).toBeGreaterThan(1000);
  });
});
