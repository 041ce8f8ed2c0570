import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFilter } from '../../config/index.js';
import { corpusDir } from '../../config/tree.case.js';
import { matchesAnyLine } from './any-line.js';
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
    for (const f of readdirSync(join(corpus, 'filter.d'))) {
      if (!f.endsWith('.conf') || f.includes('common')) continue;
      const def = readFilter(corpus, f.slice(0, -5));
      if (def.prefregex && compiledAnyLine(def.prefregex)) found.push(f.slice(0, -5));
    }
    expect(found).toEqual(expect.arrayContaining(['dovecot', 'exim', 'sendmail-auth', 'sshd']));
    expect(found).not.toContain('xinetd-fail');
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
