/**
 * MLFID sessions: lines sharing a multi-line failure id (e.g. the `host sshd[1234]:`
 * prefix) are merged into one failure. A `<F-NOFAIL>` line only contributes data (the
 * address, the user); a line without an address is "pending" until the session learns
 * it; `<F-MLFFORGET>` ends the session; `<F-MLFGAINED>` (a successful login) cancels
 * what was collected — unless several users were tried in the same session.
 */

import * as probe from '../core/linear-probe.js';

/** Merged state of one failure (or one session). */
export interface FailData {
  /** Captured values (undefined = group did not take part). */
  groups: Record<string, string | undefined>;
  /** Lines that make up the failure. */
  matches: string[] | null;
  /** Lines of no-failure matches, kept until the session turns into a failure. */
  nofailMatches: string[] | null;
  /** Every user seen in the session, once each (a list: sessions see one or two; a Set costs ~5×). */
  users: string[] | null;
  /** A failure without address is waiting for one. */
  pending: boolean;
}

export function newFailData(groups: Record<string, string | undefined>): FailData {
  return { groups, matches: null, nofailMatches: null, users: null, pending: false };
}

/**
 * Bounded session cache (fail2ban: 100 entries, 5 minutes), oldest entry out first.
 *
 * Not a Map: sessions churn (an sshd log opens and evicts one every few lines), and with a Map
 * each young-generation GC of a 1M-line sshd run copied and promoted ~300 KB of dead sessions
 * (1.4 ms each, ~13% of the run; 5 KB with this table). The likely reason: a churning Map
 * rehashes into new tables, and V8 links each old table to its successor (for live iterators),
 * so a promoted old table keeps later tables and their sessions alive until the next full GC.
 * Here the table and the per-entry arrays are allocated once, and a removed entry's slots are
 * cleared, so nothing dead points at young objects.
 */
export class MlfidCache {
  private readonly cap: number;
  // per entry (node): key, data, expiry, key hash, and a doubly linked list in insertion order
  private readonly keys: (string | undefined)[];
  private readonly data: (FailData | undefined)[];
  private readonly expires: Float64Array;
  private readonly hashes: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;
  /** Unused nodes, chained through `next`. */
  private freeHead: number;
  private count = 0;
  /** Open addressing, linear probing: node + 1, 0 = empty; at most half full. */
  private readonly table: Int32Array;

  constructor(
    maxCount = 100,
    private readonly maxTime = 300,
  ) {
    this.cap = Math.max(1, maxCount);
    this.keys = new Array<string | undefined>(this.cap).fill(undefined);
    this.data = new Array<FailData | undefined>(this.cap).fill(undefined);
    this.expires = new Float64Array(this.cap);
    this.hashes = new Int32Array(this.cap);
    this.prev = new Int32Array(this.cap);
    this.next = new Int32Array(this.cap);
    for (let i = 0; i < this.cap; i++) this.next[i] = i + 1 < this.cap ? i + 1 : -1;
    this.freeHead = 0;
    let size = 4;
    while (size < this.cap * 2) size *= 2;
    this.table = new Int32Array(size);
  }

  get size(): number {
    return this.count;
  }

  get(key: string, now: number): FailData | undefined {
    const node = this.find(key, hashOf(key));
    if (node < 0) return undefined;
    if (this.expires[node]! <= now) {
      this.remove(node);
      return undefined;
    }
    return this.data[node];
  }

  set(key: string, data: FailData, now: number): void {
    const h = hashOf(key);
    const old = this.find(key, h);
    if (old >= 0) this.remove(old);
    // insertion order is expiry order (constant lifetime): purge from the front
    while (this.head >= 0 && (this.count >= this.cap || this.expires[this.head]! <= now)) this.remove(this.head);
    const node = this.freeHead;
    this.freeHead = this.next[node]!;
    this.keys[node] = key;
    this.data[node] = data;
    this.expires[node] = now + this.maxTime;
    this.hashes[node] = h;
    this.prev[node] = this.tail;
    this.next[node] = -1;
    if (this.tail >= 0) this.next[this.tail] = node;
    else this.head = node;
    this.tail = node;
    probe.insert(this.table, h, node + 1);
    this.count++;
  }

  delete(key: string): void {
    const node = this.find(key, hashOf(key));
    if (node >= 0) this.remove(node);
  }

  clear(): void {
    while (this.head >= 0) this.remove(this.head);
  }

  /** The node of `key`, or -1. */
  private find(key: string, h: number): number {
    const t = this.table;
    const mask = t.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = t[i]!;
      if (v === 0) return -1;
      if (this.hashes[v - 1] === h && this.keys[v - 1] === key) return v - 1;
    }
  }

  /** Drop entry `node`: out of the table and the list, its slots cleared. */
  private remove(node: number): void {
    probe.remove(this.table, node + 1, this.hashes);
    const p = this.prev[node]!;
    const n = this.next[node]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
    this.keys[node] = undefined;
    this.data[node] = undefined;
    this.next[node] = this.freeHead;
    this.freeHead = node;
    this.count--;
  }
}

/** FNV-1a over the UTF-16 code units (session ids are short). */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

const NONE: readonly string[] = [];

/**
 * a + b + c in a new array of its exact size: sessions are cached, so their lists outlive a
 * scavenge, where `[]` + push reserves 17 slots (and Array#concat is several times slower).
 */
function joined(a: readonly string[], b: readonly string[], c: readonly string[]): string[] {
  const out = new Array<string>(a.length + b.length + c.length);
  let i = 0;
  for (const x of a) out[i++] = x;
  for (const x of b) out[i++] = x;
  for (const x of c) out[i++] = x;
  return out;
}

const NOFAIL = 1;
const FORGET = 2;
const WAS_NOFAIL = 4;
const GAINED = 8;

function addUser(data: FailData, user: string | undefined): string[] | null {
  if (!user) return data.users;
  if (data.users === null) data.users = [user];
  else if (!data.users.includes(user)) data.users.push(user);
  return data.users;
}

/**
 * Merges the groups of one matched regex into the session `mlfid`.
 * Returns the merged failure data (the cached session object itself when one exists).
 */
export function mergeIntoSession(
  cache: MlfidCache,
  mlfid: string,
  fail: FailData,
  matchedLines: readonly string[],
  now: number,
): FailData {
  const g = fail.groups;
  let flags = 0;
  if (g.mlfgained) {
    flags |= GAINED | NOFAIL;
    if (!g.nofail) g.nofail = g.mlfgained;
  } else if (g.nofail) flags |= NOFAIL;
  if (g.mlfforget) flags |= FORGET;
  g.mlfforget = undefined;

  let users: string[] | null = null;
  const session = cache.get(mlfid, now);
  let data = fail;
  if (session) {
    const sg = session.groups;
    users = addUser(session, g.user);
    // only the last line's no-failure state counts
    if (sg.nofail) flags |= WAS_NOFAIL;
    if (sg.mlfgained) flags |= WAS_NOFAIL;
    sg.nofail = undefined;
    sg.mlfgained = undefined;
    // lines of an already reported failure are not counted again
    if ((flags & WAS_NOFAIL) === 0 && !session.pending) session.matches = null;
    for (const k in g) {
      const v = g[k];
      if (v !== undefined) sg[k] = v;
    }
    data = session;
    if (flags & FORGET) cache.delete(mlfid);
  } else if ((flags & FORGET) === 0) {
    users = addUser(fail, g.user);
    cache.set(mlfid, fail, now);
  }
  // pending failures or several users in one session: not a "no failure" any more
  if (data.pending || (users !== null && users.length > 1)) {
    data.pending = false;
    data.groups.nofail = undefined;
    data.groups.mlfgained = undefined;
    flags &= ~(GAINED | NOFAIL);
  }
  if ((flags & NOFAIL) === 0) {
    data.matches = joined(data.nofailMatches ?? NONE, data.matches ?? NONE, (flags & GAINED) === 0 ? matchedLines : NONE);
    data.nofailMatches = null;
  } else if ((flags & FORGET) === 0) {
    data.nofailMatches = joined(data.nofailMatches ?? NONE, matchedLines, NONE);
  }
  return data;
}
