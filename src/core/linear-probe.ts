/**
 * Open-addressing tables with linear probing over an Int32Array: a slot holds a value v ≥ 1
 * (an index + 1), 0 = empty, and `hashes[v - 1]` is that value's hash. Used where per-entry JS
 * objects would cost memory or GC time (failure windows, MLFID sessions).
 */

/** Empty the slot at `at`, shifting later entries of its probe run back (no tombstones). */
export function deleteAt(t: Int32Array, at: number, hashes: Int32Array): void {
  const mask = t.length - 1;
  let i = at;
  for (let j = (i + 1) & mask; t[j] !== 0; j = (j + 1) & mask) {
    const home = hashes[t[j]! - 1]! & mask;
    // move j back to the hole at i unless its home lies cyclically in (i, j]
    if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
    t[i] = t[j]!;
    i = j;
  }
  t[i] = 0;
}
