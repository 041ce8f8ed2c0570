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
 * no lookaround/backreference and no `i`/`u` flag). V8 fixes the limit of a pattern when it first
 * compiles it (its first exec), from the flag's value at that moment, so each pattern gets its own
 * (see primeBacktrackLimit). The fallback ("oneshot") compiles the pattern for the linear engine on
 * every fallen-back call, which costs little for a pattern of ASCII classes but ~20 ms for the
 * Unicode (BMP) variants, whose `\w`/`\s` classes are hundreds of ranges (22 KiB of source for
 * dovecot's prefregex). So small patterns fall back early, big ones late. Measured with the
 * adversarial suite at 1 KiB: reaching 20 000 backtracks took freeswitch's prefregex 5–10 ms (its
 * counted backtracks are far apart), 2000 took ~1.3 ms; no sample line of fail2ban's corpus and
 * no line of the 1M-line sshd/dovecot bench logs needs even 1000 (none fell back), while 1000
 * let BMP lines of dovecot/sendmail-auth fall back at ~20 ms each.
 */
const BACKTRACKS_SMALL = 2_000;
const BACKTRACKS_BIG = 20_000;
/** Source length above which a pattern counts as big (ASCII variants of stock filters are < 3 KiB). */
const BIG_SOURCE = 8_000;

/*
 * ADR — hostile lines (issue 2). Measured on the 2-core shared machine with adversarial.test.ts:
 * worst per-line time ≈ 7–20 ms at 1 KiB, 13–43 ms at 2 KiB, 90–160 ms at 4 KiB (noisy ±2×);
 * with the per-size limits above, 3.8–6 ms at 1 KiB (one limit of 20 000: 4.9–11 ms); 4–6 ms
 * also with crafted lines ending in a non-ASCII character, since their captures are read from the
 * reduced-alphabet run (compile.ts) instead of a re-run with the full Unicode classes (up to 66 ms).
 * What bounds a line today is only that every variant of every stock regex is *guarded*: either
 * V8 may fall back to its linear engine (no lookaround/backreference: 375 of 441 ASCII variants) or
 * a linear-eligible superset gate (emit.ts `superset`) rejects most near-misses first (66). The
 * suite asserts exactly that, since it is machine-independent.
 * Rejected, measured: running long lines on the linear engine directly (`l` flag) instead of
 * backtracking first. That engine is a Pike VM whose cost is ~1 µs per live NFA thread per char:
 * 1–3 ms per 4 KiB line for small patterns, but 30–60 ms for the `__prefix_line` ones (dovecot,
 * postfix, assp) on lines that backtracking settles in microseconds — worse, not better.
 * Also seen: V8's fallback recompiles the pattern for the linear engine on every fallen-back call,
 * so a fallback is dearer than the same `l` RegExp reused (hence the two limits above). Meeting
 * ≤10 ms at 4 KiB needs either a cheaper automaton (a lazy DFA over the AST for the match/no-match
 * test, backtracking only to read the captures of a line known to match) or pattern-by-pattern
 * rewrites of the quadratic shapes.
 * Seen while measuring: V8 compiles a regexp without its optimizations when the pattern is over
 * 20 KiB (dovecot's Unicode prefregex variant, 22 KiB, only re-reads captures of a line the reduced
 * variant already matched) or once the isolate's executable memory exceeds 16 MB. Unoptimized, the
 * regex tool ran 2.1× (sshd) and 3.7× (dovecot) slower (--no-regexp-optimization), and one crafted
 * sshd line took 60 ms instead of 0.1 ms. The adversarial suite warms ~900 regexes and crosses 16 MB
 * after ~400 (the filters from "l" on are measured unoptimized: pessimistic). A process filtering
 * 200k sshd lines has 1.3 MB of code; 73 stock filters run over their sample logs, 9.3 MB.
 */

let enabled = false;

/** Must run before the first RegExp is compiled (each keeps the limit it was compiled with). Idempotent. */
export function enableLinearFallback(): void {
  if (enabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  setFlagsFromString(`--regexp-backtracks-before-fallback=${String(BACKTRACKS_BIG)}`);
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

/**
 * Fixes `re`'s backtrack limit by its size: sets the flag, compiles the pattern with an exec on ""
 * (its bytecode; the native code it later tiers up to, and the code for two-byte subjects, keep
 * that limit), and restores the default. Returns `re`, its lastIndex reset.
 */
export function primeBacktrackLimit(re: RegExp): RegExp {
  const small = re.source.length <= BIG_SOURCE;
  if (small) setFlagsFromString(`--regexp-backtracks-before-fallback=${String(BACKTRACKS_SMALL)}`);
  try {
    re.lastIndex = 0;
    re.exec('');
    re.lastIndex = 0;
  } finally {
    if (small) setFlagsFromString(`--regexp-backtracks-before-fallback=${String(BACKTRACKS_BIG)}`);
  }
  return re;
}
