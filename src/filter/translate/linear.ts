/** Guards against catastrophic backtracking on hostile log lines. */
import { setFlagsFromString } from 'node:v8';

/**
 * Lines longer than this are cut by the filter engine before matching. Real log lines rarely pass
 * 2 KiB; Apache's request line limit is 8190 bytes, so 8192 keeps every legitimate line whole
 * while bounding the polynomial worst case of patterns the linear engine cannot run
 * (lookarounds, backreferences): see the adversarial suite for measured times.
 */
export const MAX_LINE_LENGTH = 8192;

/**
 * After this many backtracks V8 reruns the match on its linear-time engine (when the pattern has
 * no lookaround/backreference and no `i`/`u` flag). Default is 50 000; a legitimate fail2ban
 * match backtracks a few hundred times at most, so a lower bound switches sooner on attacks.
 */
const BACKTRACKS_BEFORE_FALLBACK = 20_000;

let enabled = false;

/** Must run before the RegExp objects are created (the limit is fixed at creation). Idempotent. */
export function enableLinearFallback(): void {
  if (enabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}`);
  enabled = true;
}
