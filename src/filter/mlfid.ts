/**
 * MLFID sessions: lines sharing a multi-line failure id (e.g. the `host sshd[1234]:`
 * prefix) are merged into one failure. A `<F-NOFAIL>` line only contributes data (the
 * address, the user); a line without an address is "pending" until the session learns
 * it; `<F-MLFFORGET>` ends the session; `<F-MLFGAINED>` (a successful login) cancels
 * what was collected — unless several users were tried in the same session.
 */

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

interface Entry {
  data: FailData;
  expires: number;
}

/** Bounded session cache (fail2ban: 100 entries, 5 minutes). */
export class MlfidCache {
  private readonly map = new Map<string, Entry>();
  /** Expiry of the oldest entry, or earlier (deletions may leave it stale on the safe side). */
  private headExpires = Infinity;

  constructor(
    private readonly maxCount = 100,
    private readonly maxTime = 300,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string, now: number): FailData | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expires <= now) {
      this.map.delete(key);
      return undefined;
    }
    return e.data;
  }

  set(key: string, data: FailData, now: number): void {
    this.map.delete(key);
    // insertion order is expiry order (constant lifetime): purge from the front — only when the
    // front may be due (headExpires is never later than the real front's expiry, only earlier)
    if (this.map.size >= this.maxCount || this.headExpires <= now) {
      this.headExpires = Infinity;
      for (const [k, e] of this.map) {
        if (e.expires > now && this.map.size < this.maxCount) {
          this.headExpires = e.expires;
          break;
        }
        this.map.delete(k);
      }
    }
    const expires = now + this.maxTime;
    if (this.map.size === 0) this.headExpires = expires;
    this.map.set(key, { data, expires });
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
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
