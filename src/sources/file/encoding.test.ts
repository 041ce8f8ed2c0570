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

  it('normalises names like Python (case, `_`/`-`/space) and knows its common aliases', () => {
    for (const n of ['latin_1', 'latin-1', 'LATIN 1', 'l1', 'iso_8859_1', 'iso8859-1', 'ISO-8859-1', 'cp819'])
      expect(resolveEncoding(n).name).toBe('latin1');
    for (const n of ['utf_8', 'utf8', 'U8', 'UTF 8', 'utf']) expect(resolveEncoding(n).name).toBe('utf-8');
    for (const n of ['us', 'us_ascii', 'ANSI_X3.4-1968', '646']) expect(resolveEncoding(n).name).toBe('ascii');
    for (const n of ['windows_1252', '1252', 'CP1252']) expect(resolveEncoding(n).name).toBe('windows-1252');
    expect(resolveEncoding('mac_roman').name).toBe('macintosh');
  });

  it('decodes cp1252 as Python does (0x80 is the euro sign, undefined bytes are replaced)', () => {
    const b = Buffer.from([0x41, 0x80, 0x81, 0x9f, 0xe9]);
    expect(resolveEncoding('cp1252').decode(b, 0, b.length)).toBe('A\u20ac\ufffd\u0178\u00e9');
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
