import { ConfigError } from '../../core/errors.js';
import { TextDecoder } from 'node:util';

/**
 * Decoding of log bytes per `logencoding`. Lines are found on the byte level (a newline is
 * one 0x0A byte, or one aligned 0x000A code unit in UTF-16), then whole runs of complete
 * lines are decoded in one call, so no decoder state ever crosses a chunk boundary.
 */
export interface LineEncoding {
  /** Canonical name, for messages. */
  readonly name: string;
  /** Bytes per code unit: 2 for UTF-16, else 1 (every ASCII-compatible encoding). */
  readonly unit: 1 | 2;
  /** True for `utf-16`: the byte order is taken from the BOM of each file (see forBom). */
  readonly sniffBom: boolean;
  decode(buf: Buffer, start: number, end: number): string;
  /** Offset just after the first newline in [start, end), or -1. `start` must be line-aligned. */
  firstNewlineEnd(buf: Buffer, start: number, end: number): number;
  /** Offset just after the last newline in [start, end), or -1. */
  lastNewlineEnd(buf: Buffer, start: number, end: number): number;
}

const byteNl = {
  unit: 1 as const,
  sniffBom: false,
  firstNewlineEnd(buf: Buffer, start: number, end: number): number {
    const i = buf.indexOf(10, start);
    return i >= 0 && i < end ? i + 1 : -1;
  },
  lastNewlineEnd(buf: Buffer, start: number, end: number): number {
    if (end <= start) return -1;
    const i = buf.lastIndexOf(10, end - 1);
    return i >= start ? i + 1 : -1;
  },
};

function utf16(name: string, bigEndian: boolean, sniffBom: boolean): LineEncoding {
  const lo = bigEndian ? 1 : 0; // index of the 0x0A byte within a code unit
  const td = bigEndian ? new TextDecoder('utf-16be', { ignoreBOM: true }) : null;
  return {
    name,
    unit: 2,
    sniffBom,
    decode: (buf, start, end) =>
      td ? td.decode(buf.subarray(start, end)) : buf.toString('utf16le', start, end),
    firstNewlineEnd(buf, start, end) {
      for (let i = start; i + 1 < end; i += 2) if (buf[i + lo] === 10 && buf[i + 1 - lo] === 0) return i + 2;
      return -1;
    },
    lastNewlineEnd(buf, start, end) {
      for (let i = start + ((end - start) & ~1) - 2; i >= start; i -= 2) {
        if (buf[i + lo] === 10 && buf[i + 1 - lo] === 0) return i + 2;
      }
      return -1;
    },
  };
}

/**
 * Python codec aliases (its encodings.aliases, the common ones) for the codecs that need our own
 * decoding or whose Python names TextDecoder does not know; keys in codecKey's form. Names not
 * listed go to TextDecoder as they are (koi8-r, cp1251, windows-1252, shift-jis …).
 */
const ALIASES: Record<string, string> = {
  auto: 'utf-8',
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  u8: 'utf-8',
  utf: 'utf-8',
  'utf8-ucs2': 'utf-8',
  'utf8-ucs4': 'utf-8',
  cp65001: 'utf-8',
  latin1: 'latin1',
  'latin-1': 'latin1',
  latin: 'latin1',
  l1: 'latin1',
  'iso-8859-1': 'latin1',
  'iso8859-1': 'latin1',
  iso8859: 'latin1',
  'iso-8859-1-1987': 'latin1',
  '8859': 'latin1',
  cp819: 'latin1',
  ibm819: 'latin1',
  csisolatin1: 'latin1',
  'iso-ir-100': 'latin1',
  ascii: 'ascii',
  'us-ascii': 'ascii',
  us: 'ascii',
  '646': 'ascii',
  'ansi-x3.4-1968': 'ascii',
  'ansi-x3-4-1968': 'ascii',
  'ansi-x3.4-1986': 'ascii',
  cp367: 'ascii',
  ibm367: 'ascii',
  csascii: 'ascii',
  'iso646-us': 'ascii',
  'iso-646.irv-1991': 'ascii',
  'iso-ir-6': 'ascii',
  'utf-16': 'utf-16',
  utf16: 'utf-16',
  u16: 'utf-16',
  'utf-16le': 'utf-16le',
  'utf-16-le': 'utf-16le',
  utf16le: 'utf-16le',
  'utf-16be': 'utf-16be',
  'utf-16-be': 'utf-16be',
  utf16be: 'utf-16be',
  '1252': 'windows-1252',
  cp1252: 'windows-1252',
  'windows-1252': 'windows-1252',
  'mac-roman': 'macintosh',
  macroman: 'macintosh',
};

/**
 * Python's cp1252 for the bytes 0x80-0x9F (undefined ones decode as U+FFFD, fail2ban's
 * `replace`); the rest is ISO-8859-1. Node 20's TextDecoder('windows-1252') leaves these
 * bytes as C1 controls.
 */
const CP1252_C1 =
  '\u20ac\ufffd\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\ufffd\u017d\ufffd' +
  '\ufffd\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\ufffd\u017e\u0178';

/**
 * A codec name as Python's lookup sees it (case and punctuation ignored: `Latin_1`, `latin-1`
 * and `latin 1` are one codec), in the `-` form of WHATWG labels.
 */
const codecKey = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * Resolve a Python codec name (`logencoding`, fail2ban-regex -e). `auto` means UTF-8 (fail2ban
 * uses the locale's encoding, which is UTF-8 on current systems). Other ASCII-compatible
 * encodings known to TextDecoder (cp1252, koi8-r, shift_jis …) work too.
 */
export function resolveEncoding(name: string): LineEncoding {
  const key = codecKey(name);
  const canon = ALIASES[key] ?? key;
  switch (canon) {
    case 'utf-8':
      return { ...byteNl, name: canon, decode: (b, s, e) => b.toString('utf8', s, e) };
    case 'latin1':
      // Buffer's latin1 is ISO-8859-1; TextDecoder('latin1') would be windows-1252.
      return { ...byteNl, name: canon, decode: (b, s, e) => b.toString('latin1', s, e) };
    case 'ascii':
      // Buffer's 'ascii' silently strips the high bit; mark invalid bytes instead.
      return {
        ...byteNl,
        name: canon,
        decode: (b, s, e) => b.toString('latin1', s, e).replace(/[\x80-\xff]/g, '\ufffd'),
      };
    case 'windows-1252':
      return {
        ...byteNl,
        name: canon,
        decode: (b, s, e) => b.toString('latin1', s, e).replace(/[\x80-\x9f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]!),
      };
    case 'utf-16':
      return utf16(canon, false, true);
    case 'utf-16le':
      return utf16(canon, false, false);
    case 'utf-16be':
      return utf16(canon, true, false);
    default: {
      let td: TextDecoder;
      try {
        td = new TextDecoder(canon, { ignoreBOM: true });
      } catch {
        throw new ConfigError(`logencoding: unknown encoding '${name}'`);
      }
      if (td.encoding.startsWith('utf-16') || td.encoding === 'windows-1252') return resolveEncoding(td.encoding);
      return { ...byteNl, name: td.encoding, decode: (b, s, e) => td.decode(b.subarray(s, e)) };
    }
  }
}

/** For `utf-16`: pick the byte order from the first two bytes of a file (LE when no BOM). */
export function forBom(enc: LineEncoding, head: Buffer): LineEncoding {
  if (!enc.sniffBom) return enc;
  return head.length >= 2 && head[0] === 0xfe && head[1] === 0xff
    ? utf16('utf-16be', true, false)
    : utf16('utf-16le', false, false);
}
