import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seekByTime, type DateOf } from './time-seek.js';

const dir = mkdtempSync(join(tmpdir(), 'lj-seek-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Lines `T=<epoch> …`; others are undated. */
const dateOf: DateOf = (line) => {
  const m = /^T=(\d+) /.exec(line);
  return m ? Number(m[1]) : null;
};
const decode = (b: Buffer, s: number, e: number): string => b.toString('latin1', s, e);

function seek(content: string, since: number): { pos: number; rest: string } {
  const f = join(dir, 'log');
  writeFileSync(f, content);
  const fd = openSync(f, 'r');
  try {
    const pos = seekByTime(fd, Buffer.byteLength(content), since, dateOf, decode);
    return { pos, rest: content.slice(pos) };
  } finally {
    closeSync(fd);
  }
}

const dated = (from: number, n: number, pad = 20): string =>
  Array.from({ length: n }, (_, i) => `T=${String(from + i)} ${'x'.repeat(pad)}\n`).join('');

describe('seekByTime (head start at now - findtime)', () => {
  it('starts at the first line dated since or later', () => {
    const { rest } = seek(dated(1000, 500), 1250);
    expect(rest.startsWith('T=1250 ')).toBe(true);
  });

  it('starts at 0 when everything is recent, after the last line when everything is old', () => {
    expect(seek(dated(1000, 50), 10).pos).toBe(0);
    const all = dated(1000, 50);
    expect(seek(all, 5000).pos).toBe(all.length);
  });

  it('keeps an unterminated last line when everything complete is old', () => {
    const content = `${dated(1000, 50)}T=9999 partial`;
    expect(seek(content, 5000).rest).toBe('T=9999 partial');
  });

  it('keeps undated lines that precede the first recent dated line', () => {
    const content = `${dated(1000, 100)}  continuation\n${dated(1100, 100)}`;
    expect(seek(content, 1100).rest.startsWith('  continuation\nT=1100 ')).toBe(true);
  });

  it('reads everything when a probe lands in a line longer than its window', () => {
    const content = `${dated(1000, 10)}${'y'.repeat(200_000)}\n${dated(1010, 10)}`;
    const { pos } = seek(content, 1015);
    // never later than the first recent line; here the huge line makes positions unknowable
    expect(pos).toBeLessThanOrEqual(content.indexOf('T=1015 '));
    expect(content.slice(pos)).toContain('T=1015 ');
  });

  it('agrees with a linear scan on big ordered logs (random since, repeated timestamps)', () => {
    const lines: string[] = [];
    let t = 5000;
    for (let i = 0; i < 40_000; i++) {
      if (i % 3 === 0) t += 1;
      lines.push(i % 17 === 0 ? `undated ${String(i)}\n` : `T=${String(t)} line ${String(i)}\n`);
    }
    const content = lines.join('');
    let seed = 7;
    for (let k = 0; k < 25; k++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const since = 4990 + (seed % (t - 4990 + 20));
      // expected: start of the undated run right before the first line dated >= since
      let idx = lines.findIndex((l) => (dateOf(l) ?? -1) >= since);
      if (idx < 0) idx = lines.length;
      while (idx > 0 && dateOf(lines[idx - 1]!) === null) idx--;
      const expected = lines.slice(0, idx).join('').length;
      expect(seek(content, since).pos).toBe(expected);
    }
  });
});
