import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../core/failure.js';
import type { LinesMeta, LogPosition, PositionStore } from '../source.js';
import { FileSource, type FileSourceOptions } from './file-source.js';

let dir: string;
const sources: FileSource[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'logjail-src-'));
});
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

class MemPositions implements PositionStore {
  readonly map = new Map<string, LogPosition>();
  get(path: string): LogPosition | null {
    return this.map.get(path) ?? null;
  }
  set(path: string, pos: LogPosition): void {
    this.map.set(path, { ...pos });
  }
}

interface Collector {
  lines: LogLine[];
  batches: { count: number; meta: LinesMeta }[];
  logs: string[];
  waitFor(n: number, timeoutMs?: number): Promise<void>;
}

function collector(): Collector {
  const c: Collector = {
    lines: [],
    batches: [],
    logs: [],
    async waitFor(n, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (c.lines.length < n) {
        if (Date.now() > end) throw new Error(`timeout: ${c.lines.length}/${n} lines`);
        await sleep(5);
      }
    },
  };
  return c;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startSource(
  c: Collector,
  opts: Partial<FileSourceOptions> & Pick<FileSourceOptions, 'patterns'>,
): Promise<FileSource> {
  const s = new FileSource(
    { backend: 'auto', encoding: 'auto', log: (level, msg) => c.logs.push(`${level}: ${msg}`), ...opts },
    (lines, meta) => {
      c.lines.push(...lines);
      c.batches.push({ count: lines.length, meta });
    },
  );
  sources.push(s);
  await s.start();
  return s;
}

const texts = (c: Collector): string[] => c.lines.map((l) => l.text);
const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

describe('FileSource: reading', () => {
  it('delivers appended lines once, in order, and completes a partial line later', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'one\ntwo\r\n');
    const c = collector();
    const s = await startSource(c, { patterns: [{ pattern: f, position: 'head' }] });
    await c.waitFor(2);
    expect(c.batches[0]!.meta).toEqual({ path: f, catchingUp: true });
    appendFileSync(f, 'three\nfou');
    await c.waitFor(3);
    await sleep(50);
    expect(texts(c)).toEqual(['one', 'two', 'three']);
    appendFileSync(f, 'r\n');
    await c.waitFor(4);
    await sleep(50);
    expect(texts(c)).toEqual(['one', 'two', 'three', 'four']);
    expect(c.lines.every((l) => l.source === f)).toBe(true);
    expect(c.batches.at(-1)!.meta.catchingUp).toBe(false);
    expect(s.files()).toEqual([f]);
  });

  it('open() announces the files but reads nothing until start(); announce picks what is logged', async () => {
    const [f, g] = [join(dir, 'a.log'), join(dir, 'b.log')];
    writeFileSync(f, 'one\n');
    writeFileSync(g, 'two\n');
    const c = collector();
    const s = new FileSource(
      {
        patterns: [f, g].map((pattern) => ({ pattern, position: 'head' as const })),
        backend: 'auto',
        encoding: 'auto',
        log: (level, msg) => c.logs.push(`${level}: ${msg}`),
        announce: (p) => p !== g,
      },
      (lines) => {
        c.lines.push(...lines);
      },
    );
    sources.push(s);
    await s.open();
    appendFileSync(f, 'three\n');
    await sleep(100);
    expect(c.lines).toEqual([]);
    expect(c.logs).toEqual([`info: Added logfile: '${f}' (pos = 0, hash = ${sha1('one\n')})`]);
    await s.start();
    await c.waitFor(3);
    expect(texts(c).sort()).toEqual(['one', 'three', 'two']);
  });

  it('reads a big file in few large batches', async () => {
    const f = join(dir, 'big.log');
    const n = 50_000;
    writeFileSync(f, Array.from({ length: n }, (_, i) => `line ${i} ${'x'.repeat(40)}\n`).join(''));
    const c = collector();
    await startSource(c, { patterns: [{ pattern: f, position: 'head' }] });
    await c.waitFor(n);
    expect(c.lines[n - 1]!.text.startsWith(`line ${n - 1} `)).toBe(true);
    expect(new Set(texts(c)).size).toBe(n);
    expect(c.batches.length).toBeLessThan(30); // ~2.5 MB in 128 KiB chunks
  });

  it('truncates an overlong line and keeps reading after it', async () => {
    const f = join(dir, 'long.log');
    writeFileSync(f, '');
    const c = collector();
    await startSource(c, {
      patterns: [{ pattern: f, position: 'head' }],
      maxLineBytes: 1000,
      chunkSize: 256,
    });
    appendFileSync(f, 'a'.repeat(5000));
    await sleep(50);
    appendFileSync(f, 'b'.repeat(5000) + '\nafter\n');
    await c.waitFor(2);
    expect(c.lines[0]!.text).toBe('a'.repeat(1000));
    expect(c.lines[1]!.text).toBe('after');
  });

  it('decodes latin1, utf-16le (with BOM) and flags invalid utf-8', async () => {
    const l1 = join(dir, 'l1.log');
    writeFileSync(l1, Buffer.from('caf\xe9 d\xe9j\xe0\nna\xefve\n', 'latin1'));
    const c1 = collector();
    await startSource(c1, { patterns: [{ pattern: l1, position: 'head' }], encoding: 'ISO-8859-1' });
    await c1.waitFor(2);
    expect(texts(c1)).toEqual(['café déjà', 'naïve']);

    const u16 = join(dir, 'u16.log');
    // U+0A0A has 0x0A bytes that are not newlines.
    writeFileSync(
      u16,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('h\u0a0ai\r\nzwei ü\n', 'utf16le')]),
    );
    const c2 = collector();
    await startSource(c2, { patterns: [{ pattern: u16, position: 'head' }], encoding: 'utf-16' });
    await c2.waitFor(2);
    expect(texts(c2)).toEqual(['h\u0a0ai', 'zwei ü']);

    const bad = join(dir, 'bad.log');
    writeFileSync(bad, Buffer.from([0x61, 0xff, 0x62, 0x0a]));
    const c3 = collector();
    await startSource(c3, { patterns: [{ pattern: bad, position: 'head' }] });
    await c3.waitFor(1);
    expect(texts(c3)).toEqual(['a\ufffdb']);
    expect(c3.logs.some((m) => m.includes('Error decoding'))).toBe(true);
  });
});

describe('FileSource: rotation', () => {
  it('rename+create: finishes the old file, then reads the new one from 0', async () => {
    const f = join(dir, 'r.log');
    writeFileSync(f, 'a1\n');
    const c = collector();
    await startSource(c, { patterns: [{ pattern: f, position: 'head' }] });
    await c.waitFor(1);
    appendFileSync(f, 'a2\n');
    renameSync(f, `${f}.1`);
    writeFileSync(f, 'b1\n');
    appendFileSync(`${f}.1`, 'a3\n'); // late write by a logger that has not reopened yet
    await c.waitFor(4);
    await sleep(50);
    expect(texts(c).sort()).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(c.logs).toContain(`info: Log rotation detected for ${f}`);
  });

  it('copytruncate: shorter file and regrown file with a new first line both restart at 0', async () => {
    const f = join(dir, 't.log');
    writeFileSync(f, 'first-a\nsecond-a\n');
    const c = collector();
    await startSource(c, { patterns: [{ pattern: f, position: 'head' }] });
    await c.waitFor(2);
    truncateSync(f, 0);
    appendFileSync(f, 'x\n');
    await c.waitFor(3);
    expect(texts(c)[2]).toBe('x');
    // Truncate and regrow past the old position before the reader looks: only the first line tells.
    truncateSync(f, 0);
    appendFileSync(f, `new-first ${'y'.repeat(30)}\nmore\n`);
    await c.waitFor(5);
    await sleep(50);
    expect(texts(c)).toEqual(['first-a', 'second-a', 'x', `new-first ${'y'.repeat(30)}`, 'more']);
  });
});

describe('FileSource: positions across restarts', () => {
  it('resumes exactly after the saved position', async () => {
    const f = join(dir, 'p.log');
    writeFileSync(f, 'l1\nl2\n');
    const store = new MemPositions();
    const c1 = collector();
    const s1 = await startSource(c1, { patterns: [{ pattern: f, position: 'head' }], positions: store });
    await c1.waitFor(2);
    appendFileSync(f, 'l3\npart');
    await c1.waitFor(3);
    await s1.stop();
    // fail2ban 1.0.2's hash (Python 3): SHA-1 of the raw first line including its newline.
    expect(store.get(f)).toEqual({ firstLineMd5: '6cf485bc2797a0c264a82359190a7a87437d723d', pos: 9 });
    appendFileSync(f, 'ial\nl5\n');
    const c2 = collector();
    await startSource(c2, { patterns: [{ pattern: f, position: 'head' }], positions: store });
    await c2.waitFor(2);
    await sleep(50);
    expect(texts(c2)).toEqual(['partial', 'l5']);
  });

  it('resumes from a position fail2ban 1.0.2 saved (SHA-1) or older logjail saved (MD5)', async () => {
    for (const hash of ['6cf485bc2797a0c264a82359190a7a87437d723d', '48cb3139c72340a194a633491c62ce66']) {
      const f = join(dir, `h${hash.length}.log`);
      writeFileSync(f, 'l1\nl2\nl3\n');
      const store = new MemPositions();
      store.set(f, { firstLineMd5: hash, pos: 6 });
      const c = collector();
      const s = await startSource(c, { patterns: [{ pattern: f, position: 'head' }], positions: store });
      await c.waitFor(1);
      await sleep(50);
      expect(texts(c)).toEqual(['l3']);
      await s.stop();
    }
  });

  it('saves positions about once a second while running (crash safety)', async () => {
    const f = join(dir, 'crash.log');
    writeFileSync(f, 'c1\nc2\n');
    const store = new MemPositions();
    const c = collector();
    await startSource(c, { patterns: [{ pattern: f, position: 'head' }], positions: store });
    await c.waitFor(2);
    const end = Date.now() + 3000;
    while (store.get(f)?.pos !== 6 && Date.now() < end) await sleep(20);
    expect(store.get(f)?.pos).toBe(6);
    // A "crashed" process never stopped: a new one from the saved position reads only what follows.
    appendFileSync(f, 'c3\n');
    const c2 = collector();
    await startSource(c2, { patterns: [{ pattern: f, position: 'head' }], positions: store });
    await c2.waitFor(1);
    await sleep(50);
    expect(texts(c2)).toEqual(['c3']);
  });

  it('reads from 0 when the file was replaced meanwhile', async () => {
    const f = join(dir, 'q.log');
    writeFileSync(f, 'old1\nold2\nold3\n');
    const store = new MemPositions();
    const c1 = collector();
    const s1 = await startSource(c1, { patterns: [{ pattern: f, position: 'head' }], positions: store });
    await c1.waitFor(3);
    await s1.stop();
    rmSync(f);
    writeFileSync(f, 'new1\nnew2\nnew3\nnew4\n'); // longer than the old position
    const c2 = collector();
    await startSource(c2, { patterns: [{ pattern: f, position: 'head' }], positions: store });
    await c2.waitFor(4);
    expect(texts(c2)).toEqual(['new1', 'new2', 'new3', 'new4']);
    expect(c2.logs).toContain(`info: Log rotation detected for ${f}`);
  });

  it('tail skips existing content (and the rest of an incomplete last line)', async () => {
    const f = join(dir, 'tail.log');
    writeFileSync(f, 'old1\nold2\nhalf');
    const c = collector();
    await startSource(c, { patterns: [{ pattern: f, position: 'tail' }] });
    appendFileSync(f, '-done\nnew1\n');
    await c.waitFor(1);
    await sleep(50);
    expect(texts(c)).toEqual(['new1']);
    expect(c.batches[0]!.meta.catchingUp).toBe(false);
  });
});

describe('FileSource: discovery and backends', () => {
  it('follows a log that appears later (and its directory too)', async () => {
    const sub = join(dir, 'later');
    const f = join(sub, 'app.log');
    const c = collector();
    const s = await startSource(c, { patterns: [{ pattern: f, position: 'head' }], pollIntervalMs: 100 });
    expect(c.logs.some((m) => m.startsWith('warning:') && m.includes('does not exist yet'))).toBe(true);
    expect(s.files()).toEqual([f]);
    await sleep(50);
    mkdirSync(sub);
    writeFileSync(f, 'hello\n');
    await c.waitFor(1);
    appendFileSync(f, 'again\n');
    await c.waitFor(2);
    expect(texts(c)).toEqual(['hello', 'again']);
    expect(c.batches[0]!.meta.catchingUp).toBe(false);
  });

  it('expands a glob to two files and warns about dangling links', async () => {
    writeFileSync(join(dir, 'one.log'), 'from one\n');
    writeFileSync(join(dir, 'two.log'), 'from two\n');
    writeFileSync(join(dir, 'other.txt'), 'nope\n');
    symlinkSync(join(dir, 'missing'), join(dir, 'dead.log'));
    const c = collector();
    const s = await startSource(c, { patterns: [{ pattern: join(dir, '*.log'), position: 'head' }] });
    expect(s.files()).toEqual([join(dir, 'one.log'), join(dir, 'two.log')]);
    expect(c.logs.some((m) => m.includes('dangling') && m.includes('dead.log'))).toBe(true);
    await c.waitFor(2);
    appendFileSync(join(dir, 'two.log'), 'more two\n');
    await c.waitFor(3);
    expect(texts(c).sort()).toEqual(['from one', 'from two', 'more two']);
    expect(c.lines.find((l) => l.text === 'more two')!.source).toBe(join(dir, 'two.log'));
  });

  it('polling backend alone sees appends and rotation', async () => {
    const f = join(dir, 'poll.log');
    writeFileSync(f, 'p1\n');
    const c = collector();
    await startSource(c, {
      patterns: [{ pattern: f, position: 'head' }],
      backend: 'polling',
      pollIntervalMs: 50,
    });
    await c.waitFor(1);
    appendFileSync(f, 'p2\n');
    await c.waitFor(2);
    renameSync(f, `${f}.1`);
    writeFileSync(f, 'p3\n');
    await c.waitFor(3);
    expect(texts(c)).toEqual(['p1', 'p2', 'p3']);
  });

  it('measures append-to-delivery latency (printed, not asserted)', async () => {
    const f = join(dir, 'lat.log');
    writeFileSync(f, '');
    const c = collector();
    const samples: number[] = [];
    let t0 = 0n;
    const s = new FileSource(
      { patterns: [{ pattern: f, position: 'head' }], backend: 'auto', encoding: 'auto' },
      (lines) => {
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
        c.lines.push(...lines);
      },
    );
    sources.push(s);
    await s.start();
    for (let i = 0; i < 50; i++) {
      await sleep(10);
      t0 = process.hrtime.bigint();
      appendFileSync(f, `x${i}\n`);
      await c.waitFor(i + 1);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `append->onLines latency over ${samples.length} appends (inotify): median ${samples[25]!.toFixed(3)} ms, p90 ${samples[45]!.toFixed(3)} ms, max ${samples.at(-1)!.toFixed(3)} ms`,
    );
    expect(texts(c)).toEqual(Array.from({ length: 50 }, (_, i) => `x${i}`));
  });
});

describe('FileSource: head start at now - findtime', () => {
  const headStart = {
    since: () => 2000,
    dateOf: (line: string): number | null => {
      const m = /^T=(\d+) /.exec(line);
      return m ? Number(m[1]) : null;
    },
  };
  const log = Array.from({ length: 3000 }, (_, i) => `T=${String(i)} line\n`).join('');

  it('skips the lines older than since on a first read from the beginning', async () => {
    const f = join(dir, 'old.log');
    writeFileSync(f, log);
    const c = collector();
    await startSource(c, { patterns: [{ pattern: f, position: 'head' }], headStart });
    await c.waitFor(1000);
    await sleep(50);
    expect(c.lines.length).toBe(1000);
    expect(c.lines[0]!.text).toBe('T=2000 line');
  });

  it('does not apply over a saved position nor to a tail file', async () => {
    const f = join(dir, 'saved.log');
    writeFileSync(f, log);
    const positions = new MemPositions();
    const first = `${log.split('\n')[0]!}\n`;
    positions.set(f, { firstLineMd5: createHash('md5').update(first).digest('hex'), pos: first.length * 10 });
    const c = collector();
    await startSource(c, { patterns: [{ pattern: f, position: 'head' }], positions, headStart });
    await c.waitFor(2990);
    expect(c.lines[0]!.text).toBe('T=10 line');
    const g = join(dir, 'tail.log');
    writeFileSync(g, log);
    const d = collector();
    await startSource(d, { patterns: [{ pattern: g, position: 'tail' }], headStart });
    appendFileSync(g, 'T=1 late but new\n');
    await d.waitFor(1);
    expect(texts(d)).toEqual(['T=1 late but new']);
  });
});
