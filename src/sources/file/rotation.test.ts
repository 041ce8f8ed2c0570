import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSource, type FileBackend } from './file-source.js';

/**
 * Rotation torture: a writer thread appends numbered lines as fast as it can and rotates the
 * log hundreds of times, picking rename+create or copytruncate at random.
 *
 * Fairness: copytruncate loses, by nature, the lines written after the reader's last read and
 * before the truncate (they only exist in the copy, which nobody follows; fail2ban has the same
 * gap). So before a copytruncate the writer waits until the reader has delivered every line
 * written so far (a shared counter), pauses 20 ms so no read cycle is in flight, then copies and
 * truncates and goes straight on writing. Rename+create gets no such help with the data: the
 * writer renames mid-stream, even writes a few more lines to the old inode (a daemon that has not
 * reopened its log yet), then creates the new file and keeps writing — lossless as is. The one
 * wait before a rename: the reader must have switched to the current file (delivered one of its
 * lines). Two renames within one reader wake-up (~1 ms) would hide the middle file, which is
 * named by nobody; real rotations are hours apart.
 */
const writerCode = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { file, total, rotateEvery, seed, shared } = workerData;
const delivered = new Int32Array(shared);
const pause = new Int32Array(new SharedArrayBuffer(4));
let rnd = seed;
const rand = () => { rnd = (rnd * 1103515245 + 12345) & 0x7fffffff; return rnd / 0x7fffffff; };
const line = (i) => 'L' + i + ' ' + 'x'.repeat(i % 50) + '\\n';
let fd = fs.openSync(file, 'a');
let i = 0, renames = 0, copies = 0, stuck = 0, curStart = 0, next = rotateEvery;
function waitDelivered(n) {
  const giveUp = Date.now() + 10000; // a reader that lost lines never catches up: report, don't hang
  for (;;) {
    const d = Atomics.load(delivered, 0);
    if (d >= n) return;
    if (Date.now() > giveUp) { stuck++; return; }
    Atomics.wait(delivered, 0, d, 50);
  }
}
while (i < total) {
  let s = '';
  for (let k = 1 + Math.floor(rand() * 20); k > 0 && i < total; k--) s += line(i++);
  fs.writeSync(fd, s);
  if (i >= next && i < total) {
    next = i + Math.floor(rotateEvery / 2 + rand() * rotateEvery);
    const dst = file + '.' + (renames + copies + 1);
    if (rand() < 0.5) {
      waitDelivered(curStart + 1);
      fs.renameSync(file, dst);
      let late = '';
      for (let k = Math.floor(rand() * 4); k > 0 && i < total; k--) late += line(i++);
      if (late) fs.writeSync(fd, late);
      const nfd = fs.openSync(file, 'a');
      fs.closeSync(fd);
      fd = nfd;
      curStart = i;
      renames++;
    } else {
      waitDelivered(i);
      Atomics.wait(pause, 0, 0, 20);
      fs.copyFileSync(file, dst);
      fs.ftruncateSync(fd, 0);
      copies++;
    }
  }
}
fs.closeSync(fd);
parentPort.postMessage({ written: i, renames, copies, stuck });
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'logjail-rot-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function torture(
  backend: FileBackend,
  total: number,
  rotateEvery: number,
  pollIntervalMs?: number,
): Promise<void> {
  const file = join(dir, 'torture.log');
  writeFileSync(file, '');
  const shared = new SharedArrayBuffer(4);
  const delivered = new Int32Array(shared);
  const seen = new Uint8Array(total);
  let count = 0;
  let dups = 0;
  let bad = 0;
  let rotationsLogged = 0;
  const src = new FileSource(
    {
      patterns: [{ pattern: file, position: 'head' }],
      backend,
      encoding: 'utf-8',
      pollIntervalMs,
      log: (_l, m) => {
        if (m.startsWith('Log rotation detected')) rotationsLogged++;
      },
    },
    (lines) => {
      for (const l of lines) {
        const sp = l.text.indexOf(' ');
        const n = Number(l.text.slice(1, sp));
        if (!(n >= 0 && n < total) || l.text !== `L${n} ${'x'.repeat(n % 50)}`) bad++;
        else if (seen[n]) dups++;
        else seen[n] = 1;
      }
      count += lines.length;
      Atomics.store(delivered, 0, count);
      Atomics.notify(delivered, 0);
    },
  );
  await src.start();
  const t0 = Date.now();
  const result = await new Promise<{ written: number; renames: number; copies: number; stuck: number }>(
    (resolve, reject) => {
      const w = new Worker(writerCode, {
        eval: true,
        workerData: { file, total, rotateEvery, seed: 12345, shared },
      });
      w.once('message', resolve);
      w.once('error', reject);
    },
  );
  const end = Date.now() + 30_000;
  while (count < result.written && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300)); // anything extra (duplicates) would show up now
  await src.stop();
  const missing = seen.reduce((m, v) => m + (v ? 0 : 1), 0);
  console.log(
    `rotation torture [${backend}]: written ${result.written}, delivered ${count}, rotations ${result.renames + result.copies} ` +
      `(${result.renames} rename+create, ${result.copies} copytruncate; ${rotationsLogged} detected), ` +
      `missing ${missing}, duplicates ${dups}, malformed ${bad}, writer waits timed out ${result.stuck}, ${Date.now() - t0} ms`,
  );
  expect({ delivered: count, missing, dups, bad, stuck: result.stuck }).toEqual({
    delivered: result.written,
    missing: 0,
    dups: 0,
    bad: 0,
    stuck: 0,
  });
  expect(result.renames).toBeGreaterThan(0);
  expect(result.copies).toBeGreaterThan(0);
}

describe('rotation torture', () => {
  it('inotify: 200k lines, hundreds of random rotations, nothing lost or doubled', async () => {
    await torture('auto', 200_000, 600);
  });

  it('polling: 20k lines, dozens of rotations, nothing lost or doubled', async () => {
    await torture('polling', 20_000, 500, 20);
  });
});
