/**
 * Open-addressing tables with linear probing over an Int32Array: a slot holds a value v ≥ 1
 * (an index + 1), 0 = empty, and `hashes[v - 1]` is that value's hash. Used where per-entry JS
 * objects would cost memory or GC time (failure windows, MLFID sessions). Lookups compare keys
 * the owner's way, so they stay with the owner.
 */

/** Put value `v` (hash `h`) in the first empty slot of its probe run. */
export function insert(t: Int32Array, h: number, v: number): void {
  const mask = t.length - 1;
  let i = h & mask;
  while (t[i] !== 0) i = (i + 1) & mask;
  t[i] = v;
}

/** Take value `v` out, shifting later entries of its probe run back (no tombstones). */
export function remove(t: Int32Array, v: number, hashes: Int32Array): void {
  const mask = t.length - 1;
  let i = hashes[v - 1]! & mask;
  while (t[i] !== v) i = (i + 1) & mask;
  for (let j = (i + 1) & mask; t[j] !== 0; j = (j + 1) & mask) {
    const home = hashes[t[j]! - 1]! & mask;
    // move j back to the hole at i unless its home lies cyclically in (i, j]
    if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
    t[i] = t[j]!;
    i = j;
  }
  t[i] = 0;
}
