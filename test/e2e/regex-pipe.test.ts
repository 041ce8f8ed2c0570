import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { built, CLI } from './harness.js';

/**
 * `fail2ban-regex -o msg big.log | slow-reader`: the tool must wait for the pipe instead of
 * queueing its whole output in memory. Seen through the input file: while nobody reads the pipe,
 * the tool's read offset in the log must stop far short of its end.
 */
const dir = mkdtempSync(join(tmpdir(), 'lj-regex-pipe-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The read offset of the child's open descriptor on `file` (from /proc), or null when not open. */
function offsetOf(pid: number, file: string): number | null {
  for (const fd of readdirSync(`/proc/${String(pid)}/fd`)) {
    try {
      if (readlinkSync(`/proc/${String(pid)}/fd/${fd}`) !== file) continue;
      const m = /^pos:\s+(\d+)/m.exec(readFileSync(`/proc/${String(pid)}/fdinfo/${fd}`, 'utf8'));
      return m ? Number(m[1]) : null;
    } catch {
      // the descriptor went away meanwhile
    }
  }
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!built())('regex tool output into a pipe', () => {
  it('stops reading its log while the pipe is full, and writes every line once read', async () => {
    const log = join(dir, 'auth.log');
    const n = 200_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++)
      lines.push(`Dec  3 10:00:00 srv sshd[${String(i)}]: Failed password for root from 192.0.2.${String(i % 250)} port 22 ssh2`);
    writeFileSync(log, lines.join('\n') + '\n');
    const size = statSync(log).size;

    const child = spawn(process.execPath, [CLI, 'regex', '-o', 'msg', log, 'Failed password for \\S+ from <HOST>'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pause();
    const pid = child.pid!;
    // wait until the read offset stands still (blocked on the pipe) or the whole log was read
    let last = -1;
    let pos = 0;
    let seen = false;
    for (let still = 0, tries = 0; still < 5 && tries < 300; tries++) {
      await sleep(200);
      const p = offsetOf(pid, log);
      if (p === null) {
        if (!seen) continue; // not opened yet
        pos = size; // closed: it was read to the end
        break;
      }
      seen = true;
      pos = p;
      still = pos === last ? still + 1 : 0;
      last = pos;
    }
    expect(pos).toBeGreaterThan(0);
    expect(pos).toBeLessThan(size / 4);

    let out = 0;
    let newlines = 0;
    child.stdout.on('data', (c: Buffer) => {
      out += c.length;
      for (const b of c) if (b === 10) newlines++;
    });
    child.stdout.resume();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(newlines).toBe(n);
    expect(out).toBe(size);
  }, 120_000);
});
