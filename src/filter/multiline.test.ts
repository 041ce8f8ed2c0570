import { describe, expect, it } from 'vitest';
import { joinLines, skippedLines, splitByMatch, type BufferedLine } from './multiline.js';

const L = (t: string): BufferedLine => ({ text: t, orig: `D ${t}` });

describe('multi-line window', () => {
  const lines = [L('a'), L('b'), L('c'), L('d')];
  const buf = joinLines(lines);

  it('joins with a trailing newline', () => {
    expect(buf).toBe('a\nb\nc\nd\n');
  });

  it('maps a match onto the lines it covers', () => {
    const start = buf.indexOf('b');
    const end = buf.indexOf('c') + 1;
    const r = splitByMatch(buf, start, end, lines, []);
    expect(r.matched.map((l) => l.text)).toEqual(['b', 'c']);
    expect(r.unmatched.map((l) => l.text)).toEqual(['a', 'd']);
  });

  it('keeps skipped lines in the window', () => {
    const r = splitByMatch(buf, 0, buf.indexOf('c') + 1, lines, skippedLines({ skiplines0: 'b\n' }, ['skiplines0']));
    expect(r.matched.map((l) => l.orig)).toEqual(['D a', 'D c']);
    expect(r.unmatched.map((l) => l.text)).toEqual(['b', 'd']);
  });

  it('a single line is matched whole', () => {
    expect(splitByMatch('x\n', 0, 1, [L('x')], []).matched).toHaveLength(1);
  });
});
