import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Compiled } from './compile.js';
import { compileFailRegex, compilePython } from './index.js';

// Lets `new RegExp(src, 'l')` tell whether V8's linear engine accepts a translation.
setFlagsFromString('--enable-experimental-regexp-engine');

function js(r: unknown, extent: 'ascii' | 'bmp' = 'ascii'): { source: string; flags: string } {
  if (!(r instanceof Compiled)) throw new Error('not a Compiled');
  const m = /^\/(.*)\/(\w*)$/s.exec(r.jsSource(extent))!;
  return { source: m[1]!, flags: m[2]! };
}

function linear(r: unknown): boolean {
  const { source, flags } = js(r);
  try {
    new RegExp(source, flags + 'l');
    return true;
  } catch {
    return false;
  }
}

describe('rewrites that keep the linear-time fallback available', () => {
  it('drops the always-true lookbehind of the IPv6 block and unrolls {1,4}', () => {
    const re = compileFailRegex('^from <HOST> port \\d+$', { multiline: false });
    expect(js(re).source).not.toContain('(?<=');
    expect(linear(re)).toBe(true);
    expect(re.exec('from ::1 port 22')?.groups.ip6).toBe('::1');
    expect(re.exec('from fe80::1:2 port 22')?.groups.ip6).toBe('fe80::1:2');
  });

  it('keeps a lookbehind that is not implied by what precedes it', () => {
    expect(js(compilePython('a(?<=b)', { multiline: false })).source).toContain('(?<=b)');
  });

  it('collapses \\w+[\\w.-]* (vhostpref) without changing matches', () => {
    const re = compilePython('^(?P<v>\\w+[\\w.-]*\\s+)?(?P<h>\\d+)$', { multiline: false });
    expect(js(re).source).not.toMatch(/\]\+\[/);
    expect(re.exec('host.example 12')?.groups).toEqual({ v: 'host.example ', h: '12' });
    expect(re.exec('12')?.groups).toEqual({ v: undefined, h: '12' });
  });
});

describe('non-ASCII texts', () => {
  it('search a reduced alphabet but report captures from the real text', () => {
    const re = compilePython('^(?P<u>\\w+) (?P<s>\\S+) (?P<r>.+)$', { multiline: false });
    expect(re.exec('été ∑x€ ü ß')?.groups).toEqual({ u: 'été', s: '∑x€', r: 'ü ß' });
    expect(re.exec('∑ x y')).toBeNull();
  });
  it('keeps literals distinct from their class mates', () => {
    const re = compilePython('(?P<a>\\w)é', { multiline: false });
    expect(re.exec('xè yé')?.groups.a).toBe('y');
  });
});
