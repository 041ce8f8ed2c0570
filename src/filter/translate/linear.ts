/** Guards against catastrophic backtracking on hostile log lines. */
import { setFlagsFromString } from 'node:v8';

/**
 * Lines longer than this are cut by the filter engine before matching. Worst per-line time over
 * every stock filter with crafted lines (adversarial.test.ts) grows about quadratically with
 * length: ≤7 ms at 1 KiB, 13 ms at 2 KiB, 89 ms at 4 KiB, 255 ms at 8 KiB. 4 KiB keeps real log
 * lines whole (RFC 3164 syslog messages are ≤1 KiB, RFC 5424 asks receivers for ≥2 KiB) while
 * bounding what one hostile line can cost. A longer cap lets fewer padded lines slip past
 * `$`-anchored regexes but costs ~3× more per hostile line for each doubling.
 */
export const MAX_LINE_LENGTH = 4096;

/**
 * After this many backtracks V8 reruns the match on its linear-time engine (when the pattern has
 * no lookaround/backreference and no `i`/`u` flag). That engine is linear but slow (tens of µs per
 * character on fail2ban-sized patterns, so ~0.2–0.4 s for an 8 KiB line): it should take over as
 * soon as backtracking turns super-linear. Measured on the stock filters with 8 KiB hostile lines,
 * 20 000 beat 50 000 (V8's default) and 100 000: quadratic prefixes (asterisk, bitwarden) cost
 * 0.4 s instead of 1–1.7 s, while linear backtracking stays below the limit.
 */
const BACKTRACKS_BEFORE_FALLBACK = 20_000;

let enabled = false;

/** Must run before the RegExp objects are created (the limit is fixed at creation). Idempotent. */
export function enableLinearFallback(): void {
  if (enabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}`);
  // Only makes the `l` flag available, which linearCapable() uses to ask V8 about a pattern.
  setFlagsFromString('--enable-experimental-regexp-engine');
  enabled = true;
}

/** Would V8's linear-time engine accept this pattern? (Needs enableLinearFallback() first.) */
export function linearCapable(source: string, flags: string): boolean {
  try {
    new RegExp(source, flags.replace('d', '') + 'l');
    return true;
  } catch {
    return false;
  }
}
