/**
 * Byte storage for small per-slot records (a failing id's matched lines and captured values),
 * outside the JS heap: 100k tracked ids would otherwise be 100k+ small strings, arrays and
 * objects that the GC has to trace and promote.
 *
 * Records live in fixed 1 MiB pages, bump-allocated; a rewritten or freed record leaves a hole.
 * When the pages are more than half holes, live records slide down in address order and the
 * emptied pages are kept for reuse. Pages are never reallocated to grow: freeing one big
 * buffer per growth step would also teach malloc to serve later mid-sized blocks (decoded
 * log chunks) from its heap, where their freed space lingers in the resident size.
 */

const PAGE = 1 << 20;

/**
 * dst[at…] = src[from, to). Buffer#copy builds a view per call, which dominates for the short
 * copies records are made of; a loop is faster below ~64 bytes.
 */
export function copyBytes(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): number {
  const n = to - from;
  if (n > 64) dst.set(new Uint8Array(src.buffer, src.byteOffset + from, n), at);
  else for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
  return n;
}
/** Records above this get a buffer of their own (a page would waste too much of its tail). */
const BIG = PAGE >> 2;
const SPARE_PAGES = 2;

export class SlotArena {
  private pages: Buffer[] = [];
  private spare: Buffer[] = [];
  /** Current page index and the next free byte in it. */
  private cur = -1;
  private top = PAGE;
  /** Bytes of page space handed out (records, holes, skipped page tails). */
  private usedBytes = 0;
  private liveBytes = 0;
  /** Written length of each page (records with their headers, and holes). */
  private pageEnd: number[] = [];
  /** Per slot: page * PAGE + offset of the record (after its header), or -1 for a record in `big`. */
  private off = new Int32Array(1024);
  private len = new Int32Array(1024);
  private readonly big = new Map<number, Buffer>();

  /** The buffer holding slot `s`'s record at [offset(s), offset(s) + length(s)); valid until the next store. */
  bufferOf(slot: number): Buffer {
    const o = this.off[slot]!;
    return o < 0 ? this.big.get(slot)! : this.pages[Math.floor(o / PAGE)]!;
  }

  offset(slot: number): number {
    const o = this.off[slot]!;
    return o < 0 ? 0 : o % PAGE;
  }

  length(slot: number): number {
    return slot < this.len.length ? this.len[slot]! : 0;
  }

  /** Bytes of live records. */
  get live(): number {
    return this.liveBytes;
  }

  /** Pages held (for tests). */
  get pageCount(): number {
    return this.pages.length + this.spare.length;
  }

  /** Replace slot `slot`'s record with `src[0, n)`. */
  store(slot: number, src: Buffer, n: number): void {
    this.free(slot);
    if (n === 0) return;
    this.liveBytes += n;
    this.len[slot] = n;
    if (n > BIG) {
      const b = Buffer.allocUnsafeSlow(n);
      copyBytes(src, 0, n, b, 0);
      this.big.set(slot, b);
      this.off[slot] = -1;
      return;
    }
    // header: slot and length, so compaction can walk a page without an index
    const need = n + varintSize(slot) + varintSize(n);
    if (this.top + need > PAGE) this.nextPage();
    const page = this.pages[this.cur]!;
    let at = putVarint(page, this.top, slot);
    at = putVarint(page, at, n);
    copyBytes(src, 0, n, page, at);
    this.off[slot] = this.cur * PAGE + at;
    this.top += need;
    this.pageEnd[this.cur] = this.top;
    this.usedBytes += need;
  }

  free(slot: number): void {
    if (slot >= this.len.length) this.growSlots(slot + 1);
    const n = this.len[slot]!;
    if (n === 0) return;
    this.liveBytes -= n;
    this.len[slot] = 0;
    if (this.off[slot]! < 0) this.big.delete(slot);
  }

  clear(): void {
    this.spare = this.pages.slice(0, SPARE_PAGES);
    this.pages = [];
    this.pageEnd = [];
    this.big.clear();
    this.cur = -1;
    this.top = PAGE;
    this.usedBytes = 0;
    this.liveBytes = 0;
    this.len.fill(0);
  }

  private growSlots(min: number): void {
    let n = this.len.length;
    while (n < min) n *= 2;
    const off = new Int32Array(n);
    off.set(this.off);
    const len = new Int32Array(n);
    len.set(this.len);
    this.off = off;
    this.len = len;
  }

  private nextPage(): void {
    if (this.cur >= 0) this.usedBytes += PAGE - this.top; // the skipped tail counts as a hole
    const holes = this.usedBytes - this.paged();
    if (holes > 2 * PAGE && holes > this.paged()) {
      this.compact();
      if (this.top + BIG + 10 <= PAGE) return;
      this.usedBytes += PAGE - this.top;
    }
    if (this.cur + 1 >= 0x7fffffff / PAGE) throw new RangeError('failure store over 2 GiB');
    this.pages.push(this.spare.pop() ?? Buffer.allocUnsafeSlow(PAGE));
    this.cur = this.pages.length - 1;
    this.pageEnd[this.cur] = 0;
    this.top = 0;
  }

  /** Live bytes held in pages (not in `big`). */
  private paged(): number {
    let n = this.liveBytes;
    for (const b of this.big.values()) n -= b.length;
    return n;
  }

  /**
   * Slide live records down in address order (a record never moves up), keep emptied pages.
   * Each page is walked through its record headers; a record is live when its slot still
   * points at it.
   */
  private compact(): void {
    const off = this.off;
    const hdr = new RecordReader();
    let p = 0;
    let at = 0;
    for (let q = 0; q < this.pages.length; q++) {
      const src = this.pages[q]!;
      const end = this.pageEnd[q]!;
      for (let pos = 0; pos < end;) {
        hdr.at(src, pos);
        const slot = hdr.uint();
        const n = hdr.uint();
        const rec = hdr.pos;
        const next = rec + n;
        if (slot < this.len.length && off[slot] === q * PAGE + rec && this.len[slot] === n) {
          const span = next - pos;
          if (at + span > PAGE) {
            this.pageEnd[p] = at;
            p++;
            at = 0;
          }
          copyBytes(src, pos, next, this.pages[p]!, at);
          off[slot] = p * PAGE + at + (rec - pos);
          at += span;
        }
        pos = next;
      }
    }
    this.pageEnd[p] = at;
    const emptied = this.pages.splice(p + 1);
    this.pageEnd.length = p + 1;
    this.spare = this.spare.concat(emptied).slice(0, SPARE_PAGES);
    this.cur = p;
    this.top = at;
    this.usedBytes = p * PAGE + at;
  }
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function putVarint(b: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    b[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  b[at++] = v;
  return at;
}

/** A growable scratch buffer with LEB128 varints and UTF-8 strings, for building records. */
export class RecordWriter {
  buf: Buffer = Buffer.allocUnsafeSlow(4096);
  pos = 0;

  reset(): this {
    this.pos = 0;
    return this;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned LEB128, 0 ≤ v < 2^32. */
  uint(v: number): void {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** Length-prefixed UTF-8. */
  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.uint(n);
    this.utf8(s, n);
  }

  /** UTF-8 bytes without a length; `n` = Buffer.byteLength(s) when the caller has it. */
  utf8(s: string, n = s.length * 3): void {
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Raw bytes copied from another buffer. */
  raw(src: Uint8Array, from: number, to: number): void {
    this.ensure(to - from);
    this.pos += copyBytes(src, from, to, this.buf, this.pos);
  }
}

/** Reads what RecordWriter wrote. */
export class RecordReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;

  at(buf: Buffer, pos: number): this {
    this.buf = buf;
    this.pos = pos;
    return this;
  }

  uint(): number {
    // most values (counts, name indices, short lengths) fit one byte
    const first = this.buf[this.pos]!;
    if (first < 0x80) {
      this.pos++;
      return first;
    }
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  }

  str(): string {
    const n = this.uint();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Skip a length-prefixed string; returns [start of bytes, end]. */
  skipStr(): [number, number] {
    const n = this.uint();
    const a = this.pos;
    this.pos += n;
    return [a, this.pos];
  }
}
