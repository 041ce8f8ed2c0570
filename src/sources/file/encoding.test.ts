import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { forBom, resolveEncoding } from './encoding.js';

describe('resolveEncoding', () => {
  it('knows Python codec names', () => {
    expect(resolveEncoding('auto').name).toBe('utf-8');
    expect(resolveEncoding('UTF_8').name).toBe('utf-8');
    expect(resolveEncoding('Latin-1').name).toBe('latin1');
    expect(resolveEncoding('iso8859_1').name).toBe('latin1');
    expect(resolveEncoding('cp1252').name).toBe('windows-1252');
    expect(() => resolveEncoding('klingon')).toThrow(ConfigError);
  });

  it('decodes latin1 as ISO-8859-1 (not windows-1252) and ascii with replacement', () => {
    const b = Buffer.from([0x80, 0xe9]);
    expect(resolveEncoding('latin1').decode(b, 0, 2)).toBe('\x80é');
    // Other codecs go through TextDecoder (Node 20's windows-1252 decodes like latin1, so test koi8-r).
    expect(resolveEncoding('koi8_r').decode(Buffer.from([0xc1, 0xe1]), 0, 2)).toBe('аА');
    expect(resolveEncoding('ascii').decode(Buffer.from('a\xe9', 'latin1'), 0, 2)).toBe('a\ufffd');
  });

  it('finds UTF-16 newlines only on code unit boundaries', () => {
    const le = resolveEncoding('utf-16le');
    const b = Buffer.from('\u0a0ax\ny', 'utf16le'); // U+0A0A holds 0x0A bytes
    expect(le.firstNewlineEnd(b, 0, b.length)).toBe(6);
    expect(le.lastNewlineEnd(b, 0, b.length)).toBe(6);
    const be = forBom(resolveEncoding('utf-16'), Buffer.from([0xfe, 0xff]));
    expect(be.name).toBe('utf-16be');
    const bb = Buffer.from([0x00, 0x61, 0x00, 0x0a]);
    expect(be.firstNewlineEnd(bb, 0, 4)).toBe(4);
    expect(be.decode(bb, 0, 2)).toBe('a');
  });
});
