import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { close, fstat, open, readSync, type Stats } from 'node:fs';
import type { LogLine } from '../../core/failure.js';
import { forBom, type LineEncoding } from './encoding.js';

/**
 * Reads are synchronous: a log chunk comes from the page cache in well under a millisecond, while
 * a thread-pool round trip per chunk (two per chunk with the first-line check) left the daemon
 * idle for a third of a catch-up on a busy 2-core host. The pump still yields between chunks.
 */
export function readAt(fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
  try {
    return Promise.resolve(readSync(fd, buf, off, len, pos));
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** Thin promise wrappers over the callback API (no FileHandle objects, no per-call allocation). */

export function fstatFd(fd: number): Promise<Stats> {
  return new Promise((resolve, reject) => {
    fstat(fd, (err, st) => {
      if (err) reject(err);
      else resolve(st);
    });
  });
}

export function openRead(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, 'r', (err, fd) => {
      if (err) reject(err);
      else resolve(fd);
    });
  });
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => {
    close(fd, () => {
      resolve();
    });
  });
}

export interface CursorLimits {
  /** Bytes read per fs.read. */
  chunkSize: number;
  /** Longest line kept, in bytes; the rest of a longer line is dropped. */
  maxLineBytes: number;
}

/**
 * One open file (one inode) being read: the fd, the byte offsets and the incomplete last line.
 * `pos` is the offset after the last complete line handed out (what gets persisted);
 * `readPos` is where the next read starts (pos + the bytes of the pending partial line).
 */
export class FileCursor {
  pos: number;
  readPos: number;
  /** The first line (bytes, with its newline) when complete: identifies the file's content. */
  firstLine: Buffer | null = null;
  private firstLineHash = '';
  private flScratch: Buffer | null = null;
  private partial: Buffer | null = null;
  /** Dropping bytes up to the next newline: after a `tail` start mid-line, or past an overlong line. */
  private skipToNewline = false;
  /** Kept prefix of an overlong line, emitted when its newline arrives. */
  private overlong: Buffer | null = null;
  /** (size, mtime) at the last check: unchanged means nothing to do. */
  lastSize = -1;
  lastMtimeMs = -1;
  retiredAt = 0;
  warnedDecode = false;
  private sawBadBytes = false;

  private constructor(
    readonly fd: number,
    readonly ino: number,
    readonly dev: number,
    readonly enc: LineEncoding,
    private readonly limits: CursorLimits,
  ) {
    this.pos = 0;
    this.readPos = 0;
  }

  /** Open a path; identity (ino/dev) comes from the opened fd, not from an earlier stat. */
  static async open(
    path: string,
    enc: LineEncoding,
    limits: CursorLimits,
  ): Promise<{ cursor: FileCursor; size: number }> {
    const fd = await openRead(path);
    try {
      const st = await fstatFd(fd);
      let e = enc;
      if (enc.sniffBom) {
        const head = Buffer.alloc(2);
        const n = await readAt(fd, head, 0, 2, 0);
        e = forBom(enc, head.subarray(0, n));
      }
      const c = new FileCursor(fd, st.ino, st.dev, e, limits);
      await c.loadFirstLine();
      return { cursor: c, size: st.size };
    } catch (err) {
      await closeFd(fd);
      throw err;
    }
  }

  /** The first-line hash stored with the position (fail2ban's `firstlinemd5` column). */
  get md5(): string {
    return this.firstLineHash;
  }

  /**
   * Whether a stored first-line hash names this file's first line: SHA-1 as fail2ban 1.0.2 writes
   * it, or MD5 as logjail wrote it before.
   */
  sameHash(saved: string): boolean {
    if (saved === '' || !this.firstLine) return false;
    if (saved === this.firstLineHash) return true;
    return saved === createHash('md5').update(this.firstLine).digest('hex');
  }

  /**
   * Read the first line (up to maxLineBytes; a longer first line is identified by its prefix).
   * fail2ban hashes the raw bytes including the newline; so do we, so its database positions carry over.
   * Its column says MD5, but on Python 3 its MD5 self-test (`md5(' ')`, a str) raises, so 1.0.2
   * always falls back to SHA-1: that is what real databases hold.
   */
  async loadFirstLine(scratch?: Buffer): Promise<void> {
    const max = this.limits.maxLineBytes;
    const buf = scratch && scratch.length >= max ? scratch : Buffer.allocUnsafe(max);
    const n = await readAt(this.fd, buf, 0, max, 0);
    const end = this.enc.firstNewlineEnd(buf, 0, n);
    if (end < 0 && n < max) {
      this.firstLine = null;
      this.firstLineHash = '';
      return;
    }
    this.firstLine = Buffer.from(buf.subarray(0, end < 0 ? n : end));
    this.flScratch = null;
    this.firstLineHash = createHash('sha1').update(this.firstLine).digest('hex');
  }

  /** True if the file still starts with the first line seen (false = content replaced). */
  async sameFirstLine(): Promise<boolean> {
    const fl = this.firstLine;
    if (!fl) return true;
    this.flScratch ??= Buffer.allocUnsafe(fl.length);
    const n = await readAt(this.fd, this.flScratch, 0, fl.length, 0);
    return n === fl.length && this.flScratch.equals(fl);
  }

  /** Start reading at `pos` (a line boundary), dropping any pending partial line. */
  seek(pos: number): void {
    this.pos = pos;
    this.readPos = pos;
    this.partial = null;
    this.overlong = null;
    this.skipToNewline = false;
  }

  /** Start at the end of a file of `size` bytes, skipping the rest of a last line if incomplete. */
  async seekEnd(size: number): Promise<void> {
    this.seek(size);
    if (size === 0) return;
    const u = this.enc.unit;
    const tail = Buffer.alloc(u);
    const n = await readAt(this.fd, tail, 0, u, size - u);
    this.skipToNewline = this.enc.firstNewlineEnd(tail, 0, n) < 0;
  }

  /**
   * Read one chunk at readPos into `buf` (pending partial bytes copied in front) and return the
   * complete lines. `bytes` = bytes read (0 = at end of file now). `replaced`: the file no longer
   * starts with its first line, so what was read may be new content at an old offset
   * (copytruncate racing with the read); nothing is consumed and the caller restarts at 0.
   */
  async readChunk(
    buf: Buffer,
    source: string,
  ): Promise<{ lines: LogLine[]; bytes: number; badBytes: boolean; replaced: boolean }> {
    const pl = this.partial ? this.partial.copy(buf, 0) : 0;
    const n = await readAt(this.fd, buf, pl, this.limits.chunkSize, this.readPos);
    if (n === 0) return { lines: [], bytes: 0, badBytes: false, replaced: false };
    // Checked after the read: a truncate+regrow before it shows here; one after it left our data valid.
    if (this.readPos > 0 && !(await this.sameFirstLine()))
      return { lines: [], bytes: n, badBytes: false, replaced: true };
    const base = this.readPos - pl; // file offset of buf[0]
    this.readPos += n;
    return { ...this.split(buf, pl + n, base, source), bytes: n, replaced: false };
  }

  /** Split buf[0, len) — which starts at a line start at file offset `base` — into lines. */
  private split(
    buf: Buffer,
    len: number,
    base: number,
    source: string,
  ): { lines: LogLine[]; badBytes: boolean } {
    const enc = this.enc;
    const lines: LogLine[] = [];
    let badBytes = false;
    let start = 0;
    if (this.skipToNewline || this.overlong) {
      const e = enc.firstNewlineEnd(buf, 0, len);
      if (e < 0) {
        this.partial = null; // still inside the skipped line
        return { lines, badBytes };
      }
      if (this.overlong) {
        lines.push({ text: this.decodeLines(this.overlong, 0, this.overlong.length, -1, source)[0]?.text ?? '', source });
      }
      this.overlong = null;
      this.skipToNewline = false;
      start = e;
      this.pos = base + e;
    }
    const last = enc.lastNewlineEnd(buf, start, len);
    if (last > start) {
      for (const l of this.decodeLines(buf, start, last, base + start, source)) lines.push(l);
      badBytes = this.sawBadBytes;
      this.pos = base + last;
      start = last;
    }
    const rest = len - start;
    if (rest === 0) this.partial = null;
    else if (rest > this.limits.maxLineBytes) {
      // Bound memory: keep the line's prefix, drop bytes until its newline shows up.
      const keep = this.limits.maxLineBytes - (this.limits.maxLineBytes % enc.unit);
      this.overlong = Buffer.from(buf.subarray(start, start + keep));
      this.partial = null;
    } else this.partial = Buffer.from(buf.subarray(start, len));
    return { lines, badBytes };
  }

  /**
   * Decode a run of complete lines ([start, end) ends with a newline unless fileOffset < 0).
   * Byte-newline encodings decode line by line: each line is its own string, so a line kept by a
   * jail (matches, tickets) does not pin the whole chunk it came from, and pure-ASCII chunks skip
   * the UTF-8 decoder. (One decode + split was also twice as slow.)
   */
  private decodeLines(buf: Buffer, start: number, end: number, fileOffset: number, source: string): LogLine[] {
    const enc = this.enc;
    if (enc.unit === 2) return this.decodeWide(buf, start, end, fileOffset).map((text) => ({ text, source }));
    const out: LogLine[] = [];
    const ascii = isAscii(buf.subarray(start, end));
    const max = this.limits.maxLineBytes;
    let bad = false;
    for (let s = start; s < end; ) {
      let nl = buf.indexOf(10, s);
      if (nl < 0 || nl >= end) nl = end;
      const e = nl > s && buf[nl - 1] === 13 ? nl - 1 : nl;
      if (ascii && e === nl && nl < end && nl - s <= max) {
        // the line with its newline is the filter's subject; the line itself is a slice of it
        const withNewline = buf.toString('latin1', s, nl + 1);
        out.push({ text: withNewline.slice(0, -1), source, withNewline, ascii: true });
        s = nl + 1;
        continue;
      }
      let t = ascii ? buf.toString('latin1', s, e) : enc.decode(buf, s, e);
      if (!ascii) {
        if (s === start && fileOffset === 0 && t.charCodeAt(0) === 0xfeff) t = t.slice(1);
        if (t.includes('\ufffd')) bad = true;
      }
      out.push({ text: this.capped(t), source });
      s = nl + 1;
    }
    this.sawBadBytes = bad;
    return out;
  }

  private capped(t: string): string {
    return t.length > this.limits.maxLineBytes ? t.slice(0, this.limits.maxLineBytes) : t;
  }

  /** UTF-16: decode the run at once (newlines are two-byte units), then split. */
  private decodeWide(buf: Buffer, start: number, end: number, fileOffset: number): string[] {
    let s = this.enc.decode(buf, start, end);
    this.sawBadBytes = s.includes('\ufffd');
    if (fileOffset === 0 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    const parts = s.split('\n');
    if (fileOffset >= 0) parts.pop(); // the run ends with "\n": drop the empty tail
    for (let i = 0; i < parts.length; i++) {
      let t = parts[i]!;
      if (t.endsWith('\r')) t = t.slice(0, -1);
      parts[i] = this.capped(t);
    }
    return parts;
  }

  /** Bytes of a last line that never got its newline (for a rotated-away file being closed). */
  takeUnterminated(source: string): LogLine | null {
    const p = this.partial;
    this.partial = null;
    if (!p || p.length === 0) return null;
    return { text: this.decodeLines(p, 0, p.length, -1, source)[0]?.text ?? '', source };
  }

  async close(): Promise<void> {
    await closeFd(this.fd);
  }
}
