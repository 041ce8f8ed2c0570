/**
 * Alphabet reduction for non-ASCII text. Python's `\w`, `\s`, `.` … are huge classes over the BMP,
 * and V8's linear-time fallback engine is very slow on huge classes (seconds per 8 KiB line).
 * But a pattern only ever asks a handful of questions about a character, so non-ASCII characters
 * fall into a few classes that every set of the pattern treats alike (e.g. "word", "space",
 * "other", plus any non-ASCII literal on its own). Mapping each character to its class's
 * representative keeps every membership test's answer, so the pattern matches the mapped text
 * at exactly the same positions — with classes of a few members. Captured text is read from a
 * second, sticky run on the real text at the found position. Unsound with backreferences (two
 * different characters would compare equal), so those patterns are not reduced.
 */
import type { Ranges } from './charset.js';
import { complement, intersect, pairsOf, rangesOf, size } from './charset.js';

export interface Reduction {
  /** ASCII plus the representatives. */
  alphabet: Ranges;
  /** BMP code unit -> representative (identity for ASCII). */
  map: Uint16Array;
}

export function buildReduction(sets: Ranges[]): Reduction {
  const cls = new Uint32Array(0x10000);
  let next = 1;
  for (const set of sets) {
    // Refine: members move from class k to a class "k and in this set". Splitting by a set or by
    // its complement gives the same partition, so walk whichever is smaller.
    const inside = intersect(set, 0x80, 0xffff);
    const outside = complement(inside, 0x80, 0xffff);
    const r = size(outside) < size(inside) ? outside : inside;
    const split = new Uint32Array(next);
    for (const [lo, hi] of pairsOf(r)) {
      for (let c = Math.max(lo, 0x80), end = Math.min(hi, 0xffff); c <= end; c++) {
        const old = cls[c]!;
        let n = split[old]!;
        if (n === 0) n = split[old] = next++;
        cls[c] = n;
      }
    }
  }
  const map = new Uint16Array(0x10000);
  const rep = new Map<number, number>();
  for (let c = 0; c < 0x10000; c++) {
    if (c < 0x80 || (c >= 0xd800 && c <= 0xdfff)) {
      map[c] = c;
      continue;
    }
    const k = cls[c]!;
    let r = rep.get(k);
    if (r === undefined) {
      r = c;
      rep.set(k, c);
    }
    map[c] = r;
  }
  return { alphabet: rangesOf([[0, 0x7f], ...[...rep.values()].map((c) => [c, c] as [number, number])]), map };
}

export function reduceText(text: string, map: Uint16Array): string {
  const codes = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) codes[i] = map[text.charCodeAt(i)]!;
  let out = '';
  for (let i = 0; i < codes.length; i += 8192) out += String.fromCharCode(...codes.subarray(i, i + 8192));
  return out;
}
