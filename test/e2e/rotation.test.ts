import {
  closeSync,
  copyFileSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addressOf, rng, sleep, totalFailed, waitForAsync } from './daemon-tools.js';
import { built, daemonRoots, syslogNow } from './harness.js';

/**
 * Log rotation under the real daemon: the test appends failure lines fast and rotates the log
 * many times, by rename+create or copytruncate at random; the daemon's `Total failed` must end
 * equal to the lines written — none lost, none counted twice.
 *
 * Fair play, as in src/sources/file/rotation.test.ts: copytruncate by nature loses lines written
 * after the reader's last read and before the truncate (they only live in the copy nobody
 * follows; fail2ban has the same gap). So before a copytruncate the writer waits until the daemon
 * has counted every line written so far, pauses 20 ms so no read is in flight, then copies,
 * truncates and goes on writing at once. Rename+create gets no help with data: the writer renames
 * mid-stream, writes a few more lines to the old inode (a daemon that has not reopened its log
 * yet), then creates the new file and goes on. Its only wait: the daemon must have counted one
 * line of the current file first (two renames between two reads would hide the middle file, which
 * nobody names; real rotations are hours apart).
 */
const TOTAL = Number(process.env.LOGJAIL_ROTATION_LINES ?? 30_000);
const ROTATE_EVERY = Number(process.env.LOGJAIL_ROTATION_EVERY ?? 400);

const root = daemonRoots();

async function torture(backend: string, seed: number): Promise<void> {
  // Nobody gets banned: every line is just a counted failure.
  const d = root({ jail: { backend, maxretry: '1000000', findtime: '1h' } });
  await d.start();
  const rand = rng(seed);
  const counted = (): Promise<number> => totalFailed(d.sock, 'test');
  const waitCounted = (n: number, why: string): Promise<void> =>
    waitForAsync(
      async () => (await counted()) >= n,
      60_000,
      async () => `${why}: counted ${await counted()} of ${n}`,
    );

  let fd = openSync(d.log, 'a');
  let i = 0;
  let renames = 0;
  let copies = 0;
  let curStart = 0;
  let next = ROTATE_EVERY;
  const line = (n: number): string =>
    `${syslogNow()} host sshd[${n % 30000}]: Failed password for root from ${addressOf((n % 60000) + 1)} port 22 ssh2\n`;
  while (i < TOTAL) {
    let s = '';
    for (let k = 1 + Math.floor(rand() * 20); k > 0 && i < TOTAL; k--) s += line(i++);
    writeSync(fd, s);
    if (i % 200 < 20) await sleep(0); // let the socket breathe now and then
    if (i >= next && i < TOTAL) {
      next = i + Math.floor(ROTATE_EVERY / 2 + rand() * ROTATE_EVERY);
      const dst = `${d.log}.${renames + copies + 1}`;
      if (rand() < 0.5) {
        await waitCounted(curStart + 1, 'before rename');
        renameSync(d.log, dst);
        let late = '';
        for (let k = Math.floor(rand() * 4); k > 0 && i < TOTAL; k--) late += line(i++);
        if (late) writeSync(fd, late);
        const nfd = openSync(d.log, 'a');
        closeSync(fd);
        fd = nfd;
        curStart = i;
        renames++;
      } else {
        await waitCounted(i, 'before copytruncate');
        await sleep(20);
        copyFileSync(d.log, dst);
        ftruncateSync(fd, 0);
        copies++;
      }
    }
  }
  closeSync(fd);
  await waitCounted(TOTAL, 'after the last line');
  await sleep(1500); // duplicates, if any, would show up now
  const final = await counted();
  console.log(
    `daemon rotation [${backend}]: ${TOTAL} lines, ${renames} rename+create, ${copies} copytruncate, counted ${final}`,
  );
  expect(final).toBe(TOTAL);
  expect(renames).toBeGreaterThan(0);
  expect(copies).toBeGreaterThan(0);
  expect(readFileSync(d.serverLog, 'utf8')).toMatch(/Log rotation detected/);
}

describe.skipIf(!built())('daemon-level log rotation', () => {
  it('backend auto: Total failed equals lines written', async () => {
    await torture('auto', 7);
  }, 600_000);
  it('backend polling: Total failed equals lines written', async () => {
    await torture('polling', 11);
  }, 600_000);
});
