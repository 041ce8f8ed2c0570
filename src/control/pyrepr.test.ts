import { describe, expect, it } from 'vitest';
import { pyPrint, pyRepr } from './pyrepr.js';

// Expected texts are what Python 3 prints for repr() of the same values.
describe('pyRepr', () => {
  it('prints plain strings in single quotes, as is', () => {
    expect(pyRepr('192.0.2.7')).toBe("'192.0.2.7'");
    expect(pyRepr('say "hi"')).toBe(`'say "hi"'`);
    expect(pyRepr('')).toBe("''");
    expect(pyRepr('naïve')).toBe("'naïve'");
  });

  it('switches to double quotes for a single quote, unless both quotes occur', () => {
    expect(pyRepr("it's")).toBe(`"it's"`);
    expect(pyRepr(`it's "x"`)).toBe(`'it\\'s "x"'`);
  });

  it('escapes backslashes and control characters', () => {
    expect(pyRepr('a\\b')).toBe("'a\\\\b'");
    expect(pyRepr('a\tb\nc\rd')).toBe("'a\\tb\\nc\\rd'");
    expect(pyRepr('\x01\x1f\x7f')).toBe("'\\x01\\x1f\\x7f'");
  });

  it('escapes non-ASCII characters Python finds unprintable (C1 controls, format, separators, lone surrogates)', () => {
    expect(pyRepr('a\x80\x9f\xa0\xe9\u200b\u2028\u{e0001}\ud800 b')).toBe(
      "'a\\x80\\x9f\\xa0\xe9\\u200b\\u2028\\U000e0001\\ud800 b'",
    );
  });

  it('prints containers, numbers and None in Python form', () => {
    expect(pyRepr([['sshd', 1], null, true, 2.5, 3])).toBe("[['sshd', 1], None, True, 2.5, 3]");
    expect(pyRepr({ a: "b'" })).toBe(`{'a': "b'"}`);
    expect(pyPrint('as is')).toBe('as is');
  });
});
