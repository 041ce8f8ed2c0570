import * as probe from '../core/linear-probe.js';
import { pyRound } from './py-expr.js';
import { RecordReader, RecordWriter, SlotArena } from './slot-arena.js';

/**
 * fail2ban's FailManager (anatomy §3.2): per-id failure tickets counted as a *rate* inside
 * findtime rather than a list of timestamps.
 *
 * Memory: a jail under a wide scan tracks 100k+ ids that never reach maxretry, so the state of
 * an id is a slot index into typed arrays (times, counts, heap position) plus one byte record
 * in a SlotArena (the id, a differing address, captured values, the latest maxmatches lines).
 * An open-addressing hash table over the records finds an id's slot; no per-id JS object or
 * string is kept, and a FailEntry is built only when asked for (a ban, `get`).
 *
 * Expiry of stale entries (last failure <= now - findtime) uses a min-heap of slots keyed by
 * their last failure time (a refreshed slot moves down at once), so the cost is O(log n) per
 * expired or refreshed entry and an O(1) peek per added failure — no periodic scan over all ids.
 * Stale entries vanish as soon as they are due (fail2ban sweeps every ~5 s; same result,
 * without the nondeterminism).
 *
 * Record layout (varints, UTF-8): id · [address when it differs from the id] · field count ·
 * per field: name index, value tag (0: the id, 1: an interned value's index, n ≥ 2: n - 2
 * inline bytes) · line count · per line: position + 1 of the id in it (0: none), the line
 * without the id. Log lines nearly always contain the address they were found by.
 */

export interface FailInput {
  id: string;
  ip: string | null;
  /** Epoch seconds; the caller clamps future times to now. */
  time: number;
  matches: readonly string[];
  fields: Readonly<Record<string, string>>;
}

/** One id's failure state, as built for a ban or a query (a copy: changing it changes nothing). */
export interface FailEntry {
  readonly id: string;
  ip: string | null;
  first: number;
  last: number;
  /** Retry count compared with maxretry (rescaled, may exceed the number of failures). */
  retry: number;
  /** Number of failures (attempts) really seen. */
  failures: number;
  /** Latest matched lines, at most maxmatches (null when none kept). */
  matches: string[] | null;
  /** Captured values: the first failure's (fail2ban's ticket keeps the data it was made with). */
  fields: Readonly<Record<string, string>> | null;
}

export interface FailWindowOptions {
  maxretry: number;
  maxmatches: number;
  findtime: number;
}

const MAX_INTERNED = 4096;
const MAX_INTERNED_LENGTH = 64;

/** ipKind: no address known, the address is the id, or a different address stored after the id. */
const IP_NONE = 0;
const IP_IS_ID = 1;
const IP_OWN = 2;

export class FailWindow {
  maxretry: number;
  maxmatches: number;
  findtime: number;
  private count = 0;
  private total = 0;
  private cap = 0;
  /** Highest slot ever used + 1; slots below it that are free are on `freeSlots`. */
  private used = 0;
  private freeSlots: number[] = [];
  // per slot
  private first = new Float64Array(0);
  private last = new Float64Array(0);
  private retry = new Float64Array(0);
  private failures = new Uint32Array(0);
  private heapPos = new Int32Array(0);
  private hashOf = new Int32Array(0);
  private ipKind = new Uint8Array(0);
  // id -> slot + 1 (0 = empty), linear probing, at most half full
  private table = new Int32Array(16);
  private heap = new Int32Array(0);
  private readonly arena = new SlotArena();
  private readonly w = new RecordWriter();
  private readonly r = new RecordReader();
  /** The id being looked up, encoded once. */
  private readonly key = new RecordWriter();
  /** Field names are few (the filter's groups): records hold their index here. */
  private readonly fieldNames: string[] = [];
  private readonly fieldIndex = new Map<string, number>();
  /** Short captured values seen first (user names repeat across a scan); bounded, never freed. */
  private readonly values: string[] = [];
  // reused by merge()
  private readonly scratchB: number[] = [];
  private readonly valueIndex = new Map<string, number>();

  constructor(opts: FailWindowOptions) {
    this.maxretry = opts.maxretry;
    this.maxmatches = opts.maxmatches;
    this.findtime = opts.findtime;
    this.grow(64);
  }

  /** "Currently failed". */
  get size(): number {
    return this.count;
  }

  /** "Total failed": failures ever added. */
  get totalFailed(): number {
    return this.total;
  }

  /** Bytes held for matched lines and captured values (for tests and memory reports). */
  get recordBytes(): number {
    return this.arena.live;
  }

  get(id: string): FailEntry | undefined {
    const s = this.find(id);
    return s < 0 ? undefined : this.entry(s);
  }

  /**
   * Count one failure worth `count` retries (and `attempts` failures) at `now`. Returns the entry
   * (already removed) when its retry count reached maxretry — the caller bans it — else null.
   */
  add(f: FailInput, count: number, now: number, attempts = 1): FailEntry | null {
    this.cleanup(now);
    this.total += attempts;
    const s = this.find(f.id);
    if (s < 0) {
      const retry = Math.max(count, 1);
      if (retry >= this.maxretry) {
        // banned at once, never tracked
        const matches =
          this.maxmatches > 0 && f.matches.length > 0 ? f.matches.slice(-this.maxmatches) : null;
        return {
          id: f.id,
          ip: f.ip,
          first: f.time,
          last: f.time,
          retry,
          failures: attempts,
          matches,
          fields: hasKeys(f.fields) ? { ...f.fields } : null,
        };
      }
      this.insert(f, retry, attempts);
      return null;
    }
    if (f.time > this.last[s]!) {
      // rescale the count to the rate inside the window when the first failure fell out of it
      if (this.first[s]! < f.time - this.findtime) {
        this.retry[s] = pyRound((this.retry[s]! / (f.time - this.first[s]!)) * this.findtime);
        this.first[s] = f.time - this.findtime;
      }
      this.last[s] = f.time;
      this.siftDown(this.heapPos[s]!);
    }
    this.retry[s] = this.retry[s]! + count;
    this.failures[s] = this.failures[s]! + attempts;
    this.merge(s, f);
    if (this.retry[s] >= this.maxretry) {
      const e = this.entry(s);
      this.remove(s);
      return e;
    }
    return null;
  }

  delete(id: string): boolean {
    const s = this.find(id);
    if (s < 0) return false;
    this.remove(s);
    return true;
  }

  clear(): void {
    this.count = 0;
    this.used = 0;
    this.freeSlots = [];
    this.table.fill(0);
    this.heapPos.fill(-1);
    this.arena.clear();
  }

  /** Drop entries whose last failure is <= now - findtime; returns how many were dropped. */
  cleanup(now: number): number {
    const cutoff = now - this.findtime;
    let dropped = 0;
    while (this.count > 0 && this.last[this.heap[0]!]! <= cutoff) {
      this.remove(this.heap[0]!);
      dropped++;
    }
    return dropped;
  }

  // ---- slots ----

  private insert(f: FailInput, retry: number, attempts: number): void {
    if (this.count + 1 > this.cap || (this.count + 1) * 2 > this.table.length)
      this.grow(Math.max(64, this.cap * 2));
    const s = this.freeSlots.pop() ?? this.used++;
    this.first[s] = f.time;
    this.last[s] = f.time;
    this.retry[s] = retry;
    this.failures[s] = attempts;
    this.ipKind[s] = f.ip === null ? IP_NONE : f.ip === f.id ? IP_IS_ID : IP_OWN;
    const w = this.w.reset();
    // the key buffer holds f.id, encoded by find()
    w.uint(this.key.pos);
    w.raw(this.key.buf, 0, this.key.pos);
    if (f.ip !== null && f.ip !== f.id) w.str(f.ip);
    const keys = this.fieldKeys(f.fields);
    w.uint(keys.length);
    for (const k of keys) this.writeField(k, f.fields[k]!, f.id);
    const ms = this.maxmatches > 0 ? f.matches.slice(-this.maxmatches) : [];
    w.uint(ms.length);
    for (const m of ms) this.writeLine(m, f.id);
    this.arena.store(s, w.buf, w.pos);
    this.hashOf[s] = this.keyHash;
    probe.insert(this.table, this.keyHash, s + 1);
    this.heapPush(s);
    this.count++;
  }

  private remove(s: number): void {
    probe.remove(this.table, s + 1, this.hashOf);
    this.heapRemove(s);
    this.arena.free(s);
    this.freeSlots.push(s);
    this.count--;
  }

  /**
   * Fold a further failure's address and lines into slot `s`'s record (the id is f.id, still
   * encoded in `this.key` by find()). Captured values stay the first failure's: fail2ban's ticket
   * keeps the data it was made with, and later failures only add lines and attempts.
   */
  private merge(s: number, f: FailInput): void {
    const newIp = this.ipKind[s] === IP_NONE && f.ip !== null;
    const keepMatches = this.maxmatches > 0;
    const addMatches = keepMatches && f.matches.length > 0;
    if (!newIp && !addMatches && keepMatches) return;
    const buf = this.arena.bufferOf(s);
    const r = this.r.at(buf, this.arena.offset(s));
    const [idA, idB] = r.skipStr();
    const ipSpan = this.ipKind[s] === IP_OWN ? r.skipStr() : null;
    const nf = r.uint();
    const fieldsStart = r.pos;
    for (let i = 0; i < nf; i++) {
      r.uint();
      this.skipFieldValue(r);
    }
    const fieldsEnd = r.pos;
    const nm = r.uint();
    const spans = this.scratchB;
    for (let i = 0; i < nm; i++) {
      spans[i] = r.pos;
      r.uint();
      r.skipStr();
    }
    spans[nm] = r.pos;
    // maxmatches lowered to 0 while lines were kept: rewrite without them
    if (!newIp && !addMatches && (keepMatches || nm === 0)) return;

    const id = f.id;
    const w = this.w.reset();
    w.uint(idB - idA);
    w.raw(buf, idA, idB);
    if (ipSpan) {
      w.uint(ipSpan[1] - ipSpan[0]);
      w.raw(buf, ipSpan[0], ipSpan[1]);
    } else if (newIp) {
      this.ipKind[s] = f.ip === id ? IP_IS_ID : IP_OWN;
      if (f.ip !== id) w.str(f.ip!);
    }
    w.uint(nf);
    w.raw(buf, fieldsStart, fieldsEnd);
    if (!keepMatches) w.uint(0);
    else {
      const fresh = Math.min(f.matches.length, this.maxmatches);
      const keep = Math.min(nm, this.maxmatches - fresh);
      w.uint(keep + fresh);
      w.raw(buf, spans[nm - keep]!, spans[nm]);
      for (let i = f.matches.length - fresh; i < f.matches.length; i++) this.writeLine(f.matches[i]!, id);
    }
    this.arena.store(s, w.buf, w.pos);
  }

  private fieldKeys(fields: Readonly<Record<string, string>>): string[] {
    const out: string[] = [];
    for (const k in fields) out.push(k);
    return out;
  }

  /** A field: name index, then 0 when the value is the id itself, else length + 1 and the bytes. */
  private writeField(name: string, value: string, id: string): void {
    let i = this.fieldIndex.get(name);
    if (i === undefined) {
      i = this.fieldNames.length;
      this.fieldNames.push(name);
      this.fieldIndex.set(name, i);
    }
    const w = this.w;
    w.uint(i);
    if (value === id) {
      w.uint(0);
      return;
    }
    let v = this.valueIndex.get(value);
    if (v === undefined && value.length <= MAX_INTERNED_LENGTH && this.values.length < MAX_INTERNED) {
      v = this.values.length;
      this.values.push(value);
      this.valueIndex.set(value, v);
    }
    if (v !== undefined) {
      w.uint(1);
      w.uint(v);
      return;
    }
    const n = Buffer.byteLength(value, 'utf8');
    w.uint(n + 2);
    w.utf8(value, n);
  }

  private skipFieldValue(r: RecordReader): void {
    const n = r.uint();
    if (n === 1) r.uint();
    else if (n > 1) r.pos += n - 2;
  }

  private readFieldValue(r: RecordReader, id: string): string {
    const n = r.uint();
    if (n === 0) return id;
    if (n === 1) return this.values[r.uint()]!;
    const v = r.buf.toString('utf8', r.pos, r.pos + n - 2);
    r.pos += n - 2;
    return v;
  }

  /**
   * A matched line, with the id cut out when it contains it: the line is written whole and the
   * id's bytes closed over (no string slicing). `id` is the one encoded in `this.key`.
   */
  private writeLine(line: string, id: string): void {
    const w = this.w;
    const at = id === '' ? -1 : line.indexOf(id);
    if (at < 0) {
      w.uint(0);
      w.str(line);
      return;
    }
    const total = Buffer.byteLength(line, 'utf8');
    const idBytes = this.key.pos;
    const n = total - idBytes;
    w.uint(at + 1);
    w.uint(n);
    w.ensure(total);
    const start = w.pos;
    w.buf.write(line, start, total, 'utf8');
    const byteAt = total === line.length ? at : Buffer.byteLength(line.slice(0, at), 'utf8');
    w.buf.copyWithin(start + byteAt, start + byteAt + idBytes, start + total);
    w.pos = start + n;
  }

  private readLine(r: RecordReader, id: string): string {
    const at = r.uint();
    const rest = r.str();
    return at === 0 ? rest : rest.slice(0, at - 1) + id + rest.slice(at - 1);
  }

  /** Build the FailEntry of slot `s` from its arrays and record. */
  private entry(s: number): FailEntry {
    const r = this.r.at(this.arena.bufferOf(s), this.arena.offset(s));
    const id = r.str();
    const kind = this.ipKind[s];
    const ip = kind === IP_NONE ? null : kind === IP_IS_ID ? id : r.str();
    const nf = r.uint();
    let fields: Record<string, string> | null = null;
    for (let i = 0; i < nf; i++) {
      const name = this.fieldNames[r.uint()]!;
      (fields ??= {})[name] = this.readFieldValue(r, id);
    }
    const nm = r.uint();
    let matches: string[] | null = null;
    for (let i = 0; i < nm; i++) (matches ??= []).push(this.readLine(r, id));
    return {
      id,
      ip,
      first: this.first[s]!,
      last: this.last[s]!,
      retry: this.retry[s]!,
      failures: this.failures[s]!,
      matches,
      fields,
    };
  }

  private grow(cap: number): void {
    const f64 = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const n = new Float64Array(cap);
      n.set(a);
      return n;
    };
    this.first = f64(this.first);
    this.last = f64(this.last);
    this.retry = f64(this.retry);
    const failures = new Uint32Array(cap);
    failures.set(this.failures);
    this.failures = failures;
    const heapPos = new Int32Array(cap).fill(-1);
    heapPos.set(this.heapPos);
    this.heapPos = heapPos;
    const hashOf = new Int32Array(cap);
    hashOf.set(this.hashOf);
    this.hashOf = hashOf;
    const ipKind = new Uint8Array(cap);
    ipKind.set(this.ipKind);
    this.ipKind = ipKind;
    const heap = new Int32Array(cap);
    heap.set(this.heap.subarray(0, this.count));
    this.heap = heap;
    this.cap = cap;
    // rehash into a table at most half full
    let size = this.table.length;
    while (size < cap * 2) size *= 2;
    if (size !== this.table.length) {
      const old = this.table;
      this.table = new Int32Array(size);
      for (const v of old) if (v !== 0) probe.insert(this.table, this.hashOf[v - 1]!, v);
    }
  }

  // ---- id table ----

  private keyHash = 0;

  /** Slot of `id`, or -1; leaves `id` encoded in `this.key` and its hash in `keyHash`. */
  private find(id: string): number {
    const k = this.key.reset();
    // short ASCII ids (addresses) by hand: cheaper than a native call per lookup
    let ascii = id.length <= 64;
    if (ascii) {
      k.ensure(id.length);
      for (let i = 0; i < id.length; i++) {
        const c = id.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        k.buf[i] = c;
      }
    }
    if (ascii) k.pos = id.length;
    else k.utf8(id);
    // FNV-1a over the UTF-8 bytes
    let h = 0x811c9dc5;
    const kb = k.buf;
    const n = k.pos;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ kb[i]!, 0x01000193);
    h |= 0;
    this.keyHash = h;
    const t = this.table;
    const mask = t.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = t[i]!;
      if (v === 0) return -1;
      const s = v - 1;
      if (this.hashOf[s] !== h) continue;
      const buf = this.arena.bufferOf(s);
      const r = this.r.at(buf, this.arena.offset(s));
      if (r.uint() !== n) continue;
      let j = 0;
      const at = r.pos;
      while (j < n && buf[at + j] === kb[j]) j++;
      if (j === n) return s;
    }
  }

  // ---- expiry heap (slots ordered by last failure time) ----

  private heapPush(s: number): void {
    const i = this.count; // count is incremented by the caller
    this.heap[i] = s;
    this.heapPos[s] = i;
    this.siftUp(i);
  }

  private heapRemove(s: number): void {
    const i = this.heapPos[s]!;
    const n = this.count - 1;
    const last = this.heap[n]!;
    this.heapPos[s] = -1;
    if (i === n) return;
    this.heap[i] = last;
    this.heapPos[last] = i;
    this.siftDown(i, n);
    this.siftUp(this.heapPos[last]);
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const s = h[i]!;
    const key = this.last[s]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = h[p]!;
      if (this.last[ps]! <= key) break;
      h[i] = ps;
      this.heapPos[ps] = i;
      i = p;
    }
    h[i] = s;
    this.heapPos[s] = i;
  }

  private siftDown(i: number, n = this.count): void {
    const h = this.heap;
    const s = h[i]!;
    const key = this.last[s]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.last[h[c + 1]!]! < this.last[h[c]!]!) c++;
      const cs = h[c]!;
      if (this.last[cs]! >= key) break;
      h[i] = cs;
      this.heapPos[cs] = i;
      i = c;
    }
    h[i] = s;
    this.heapPos[s] = i;
  }
}

function hasKeys(o: Readonly<Record<string, string>>): boolean {
  for (const _ in o) return true;
  return false;
}
