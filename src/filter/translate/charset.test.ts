import { describe, expect, it } from 'vitest';
import { categorySet, type Extent } from './charset.js';

/** The ranges of code points up to `max` (surrogates aside) that `re` accepts, one test each. */
function byCodePoint(re: RegExp, max: number): number[] {
  const out: number[] = [];
  let start = -1;
  for (let cp = 0; cp <= max + 1; cp++) {
    const inside = cp <= max && (cp < 0xd800 || cp > 0xdfff) && re.test(String.fromCodePoint(cp));
    if (inside && start < 0) start = cp;
    else if (!inside && start >= 0) {
      out.push(start, cp - 1);
      start = -1;
    }
  }
  return out;
}

describe('categorySet', () => {
  const cases: [('w' | 'd'), Extent, RegExp, number][] = [
    ['w', 'ascii', /^[\p{L}\p{N}_]$/u, 0x7f],
    ['w', 'bmp', /^[\p{L}\p{N}_]$/u, 0xffff],
    ['d', 'bmp', /^\p{Nd}$/u, 0xffff],
    ['d', 'full', /^\p{Nd}$/u, 0x10ffff],
  ];
  it.each(cases)('%s over %s is what a test per code point finds', (cat, extent, re, max) => {
    const got = categorySet(cat, extent, false);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(byCodePoint(re, max));
  });

  it('the (?a) flag keeps to ASCII', () => {
    expect(categorySet('w', 'full', true)).toEqual([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]);
  });
});
