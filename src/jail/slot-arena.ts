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
  /** Per slot: page * PAGE + offset, or -1 for a record in `big`. */
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
      src.copy(b, 0, 0, n);
      this.big.set(slot, b);
      this.off[slot] = -1;
      return;
    }
    if (this.top + n > PAGE) this.nextPage();
    src.copy(this.pages[this.cur]!, this.top, 0, n);
    this.off[slot] = this.cur * PAGE + this.top;
    this.top += n;
    this.usedBytes += n;
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
      if (this.top + BIG <= PAGE) return;
      this.usedBytes += PAGE - this.top;
    }
    if (this.cur + 1 >= 0x7fffffff / PAGE) throw new RangeError('failure store over 2 GiB');
    this.pages.push(this.spare.pop() ?? Buffer.allocUnsafeSlow(PAGE));
    this.cur = this.pages.length - 1;
    this.top = 0;
  }

  /** Live bytes held in pages (not in `big`). */
  private paged(): number {
    let n = this.liveBytes;
    for (const b of this.big.values()) n -= b.length;
    return n;
  }

  /** Slide live records down in address order (a record never moves up), keep emptied pages. */
  private compact(): void {
    const slots: number[] = [];
    for (let s = 0; s < this.len.length; s++) if (this.len[s]! > 0 && this.off[s]! >= 0) slots.push(s);
    const off = this.off;
    slots.sort((a, b) => off[a]! - off[b]!);
    let p = 0;
    let at = 0;
    for (const s of slots) {
      const n = this.len[s]!;
      if (at + n > PAGE) {
        p++;
        at = 0;
      }
      const o = off[s]!;
      this.pages[Math.floor(o / PAGE)]!.copy(this.pages[p]!, at, o % PAGE, (o % PAGE) + n);
      off[s] = p * PAGE + at;
      at += n;
    }
    const emptied = this.pages.splice(p + 1);
    this.spare = this.spare.concat(emptied).slice(0, SPARE_PAGES);
    this.cur = p;
    this.top = at;
    this.usedBytes = p * PAGE + at;
  }
}

/** A growable scratch buffer with LEB128 varints and UTF-8 strings, for building records. */
export class RecordWriter {
  buf: Buffer = Buffer.allocUnsafeSlow(4096);
  pos = 0;

  reset(): this {
    this.pos = 0;
    return this;
  }

  private ensure(n: number): void {
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
  raw(src: Buffer, from: number, to: number): void {
    this.ensure(to - from);
    this.pos += src.copy(this.buf, this.pos, from, to);
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
