/** Guards against catastrophic backtracking on hostile log lines. */
import { setFlagsFromString } from 'node:v8';

/**
 * Lines longer than this are matched on their first and last MAX_LINE_LENGTH/2 characters (see
 * capLine in engine.ts). Worst per-line time over every stock filter with crafted lines
 * (adversarial.test.ts) grows about quadratically with length: ≈7 ms at 1 KiB, 13–43 ms at 2 KiB,
 * 45–160 ms at 4 KiB on the loaded 2-core machine. 1 KiB is the largest power of two that meets
 * the ≤10 ms goal; every annotated sample line of fail2ban's test corpus is shorter (≤700), as is
 * an RFC 3164 syslog message. Longer lines (long URLs, ModSecurity) lose their middle, not the ends
 * where fail2ban's regexes anchor, so padding cannot hide an address at either end.
 */
export const MAX_LINE_LENGTH = 1024;

/**
 * After this many backtracks V8 reruns the match on its linear-time engine (when the pattern has
 * no lookaround/backreference and no `i`/`u` flag). That engine is linear but slow (tens of µs per
 * character on fail2ban-sized patterns, so ~0.2–0.4 s for an 8 KiB line): it should take over as
 * soon as backtracking turns super-linear. Measured on the stock filters with 8 KiB hostile lines,
 * 20 000 beat 50 000 (V8's default) and 100 000: quadratic prefixes (asterisk, bitwarden) cost
 * 0.4 s instead of 1–1.7 s, while linear backtracking stays below the limit.
 */
const BACKTRACKS_BEFORE_FALLBACK = 20_000;

/*
 * ADR — hostile lines (issue 2). Measured on the 2-core shared machine with adversarial.test.ts:
 * worst per-line time ≈ 7–20 ms at 1 KiB, 13–43 ms at 2 KiB, 90–160 ms at 4 KiB (noisy ±2×).
 * What bounds a line today is only that every variant of every stock regex is *guarded*: either
 * V8 may fall back to its linear engine (no lookaround/backreference: 375 of 441 ASCII variants) or
 * a linear-eligible superset gate (emit.ts `superset`) rejects most near-misses first (66). The
 * suite asserts exactly that, since it is machine-independent.
 * Rejected, measured: running long lines on the linear engine directly (`l` flag) instead of
 * backtracking first. That engine is a Pike VM whose cost is ~1 µs per live NFA thread per char:
 * 1–3 ms per 4 KiB line for small patterns, but 30–60 ms for the `__prefix_line` ones (dovecot,
 * postfix, assp) on lines that backtracking settles in microseconds — worse, not better.
 * Also seen: V8's fallback recompiles the linear engine on every fallen-back call (~20 ms), so
 * a fallback is far dearer than the same `l` RegExp reused. Meeting ≤10 ms at 4 KiB needs either a
 * cheaper automaton (a lazy DFA over the AST for the match/no-match test, backtracking only to read
 * the captures of a line known to match) or pattern-by-pattern rewrites of the quadratic shapes.
 */

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
