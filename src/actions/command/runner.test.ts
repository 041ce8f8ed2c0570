import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessRunner, parseDuration } from './runner.js';
import { tempDir } from './test-helpers.js';

const dir = tempDir('lj-runner-');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a reaped-late zombie counts as dead
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function eventually(cond: () => boolean, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('ProcessRunner', () => {
  const r = new ProcessRunner();

  it('reports exit status and captures output', async () => {
    const ok = await r.run({ args: ['-c', 'echo out; echo err >&2'], timeout: 10 });
    expect(ok).toMatchObject({ ok: true, code: 0, stdout: 'out\n', stderr: 'err\n', timedOut: false });
    const bad = await r.run({ args: ['-c', 'exit 3'], timeout: 10 });
    expect(bad).toMatchObject({ ok: false, code: 3 });
  });

  it('feeds stdin and passes positional values untouched', async () => {
    const res = await r.run({
      args: ['-c', 'cat; printf "[%s]" "$1"', 'sh', 'a b $x'],
      stdin: 'line\n',
      timeout: 10,
    });
    expect(res.stdout).toBe('line\n[a b $x]');
  });

  it('reports a missing program as 127 instead of throwing', async () => {
    const res = await r.run({ file: join(dir, 'no-such-tool'), args: [], timeout: 10 });
    expect(res.ok).toBe(false);
    expect(res.code).toBe(127);
  });

  it('kills the whole process group on timeout', async () => {
    const pidFile = join(dir, 'bg.pid');
    const res = await new ProcessRunner({ killGrace: 0.2 }).run({
      args: ['-c', `sleep 100 & echo $! > ${pidFile}; sleep 100`],
      timeout: 0.5,
    });
    expect(res.timedOut).toBe(true);
    expect(res.ok).toBe(false);
    const bg = Number(readFileSync(pidFile, 'utf8'));
    expect(bg).toBeGreaterThan(0);
    expect(await eventually(() => !alive(bg))).toBe(true);
  });

  it('does not hang when a background child keeps the pipes open', async () => {
    const pidFile = join(dir, 'bg2.pid');
    const res = await r.run({ args: ['-c', `sleep 30 & echo $! > ${pidFile}; echo done`], timeout: 10 });
    expect(res).toMatchObject({ ok: true, stdout: 'done\n' });
    process.kill(Number(readFileSync(pidFile, 'utf8')));
  });

  it('runs through a prefix (e.g. ip netns exec)', async () => {
    const res = await new ProcessRunner({ prefix: ['env', 'LJ_PREFIX=1'] }).run({
      args: ['-c', 'echo $LJ_PREFIX'],
      timeout: 10,
    });
    expect(res.stdout).toBe('1\n');
  });
});

describe('parseDuration', () => {
  it('understands fail2ban time abbreviations', () => {
    expect(parseDuration('60')).toBe(60);
    expect(parseDuration('1.5')).toBe(1.5);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('1d 12h')).toBe(129600);
    expect(parseDuration('1h-30min')).toBe(1800);
    expect(parseDuration('1mo')).toBe(2629800);
    expect(parseDuration('-1')).toBe(-1);
  });

  it('rejects garbage naming the key', () => {
    expect(() => parseDuration('10 parsecs', 'timeout')).toThrow(/timeout: bad time value "10 parsecs"/);
    expect(() => parseDuration('', 'timeout')).toThrow(/timeout/);
  });
});
