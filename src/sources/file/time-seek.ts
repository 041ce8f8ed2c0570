import { readSync } from 'node:fs';

/** Epoch seconds of a log line, or null when it carries no date. */
export type DateOf = (line: string) => number | null;

/** Bytes read per probe; a probe that finds no dated line in them says "maybe later" (safe side). */
const PROBE_BYTES = 64 << 10;

/**
 * fail2ban's head start: a log read from its beginning (no saved position) is entered at the
 * first line dated `since` or later, found by binary search over byte offsets, so a jail starting
 * on a 1 GB log does not scan years of history that findtime would drop anyway.
 *
 * Only ever errs towards starting earlier: a probe that meets no dated line counts as "at or after
 * since", and out-of-order dates merely leave more lines to read. Returns the offset of a line start.
 */
export function seekByTime(
  fd: number,
  size: number,
  since: number,
  dateOf: DateOf,
  decode: (buf: Buffer, start: number, end: number) => string,
): number {
  if (size === 0) return 0;
  const buf = Buffer.allocUnsafe(PROBE_BYTES);
  /** First line start at or after `off`, and whether the first dated line from there is >= since. */
  const probe = (off: number): { start: number; late: boolean } => {
    const from = off === 0 ? 0 : off - 1;
    const n = readSync(fd, buf, 0, Math.min(PROBE_BYTES, size - from), from);
    let s = 0;
    if (off > 0) {
      const nl = buf.indexOf(10, 0);
      if (nl < 0 || nl >= n) return { start: -1, late: true }; // inside a huge line: unknown
      s = nl + 1;
    }
    const start = from + s;
    while (s < n) {
      const nl = buf.indexOf(10, s);
      if (nl < 0 || nl >= n) break; // only complete lines
      const t = dateOf(decode(buf, s, nl));
      if (t !== null && Number.isFinite(t)) return { start, late: t >= since };
      s = nl + 1;
    }
    return { start, late: true };
  };
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (probe(mid).late) hi = mid;
    else lo = mid + 1;
  }
  if (lo < size) return Math.max(0, probe(lo).start); // -1 (unknown): read it all
  // every dated line is older: start after the last complete line (a partial one is new)
  const from = Math.max(0, size - PROBE_BYTES);
  const n = readSync(fd, buf, 0, size - from, from);
  const nl = buf.lastIndexOf(10, n - 1);
  return nl >= 0 ? from + nl + 1 : 0;
}
