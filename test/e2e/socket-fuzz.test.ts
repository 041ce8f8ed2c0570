import { spawnSync } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, banned, rng } from './daemon-tools.js';
import { built, DaemonRoot } from './harness.js';

/**
 * Hostile input on the control socket: random bytes, truncated and wrongly shaped JSON,
 * oversized messages, many parallel and idle connections, a non-root peer. After each case the
 * server still answers `ping` and holds the same bans.
 */
const BANS = ['192.0.2.1', '192.0.2.2', '2001:db8::3'];
let d: DaemonRoot;

beforeAll(async () => {
  if (!built()) return;
  d = new DaemonRoot();
  await d.start();
  const r = await ask(d.sock, ['set', 'test', 'banip', ...BANS]);
  expect(r).toEqual({ ok: true, value: 3 });
});
afterAll(async () => {
  if (!built()) return;
  await d.stop();
  d.cleanup();
});

async function stillServing(): Promise<void> {
  expect(await ask(d.sock, ['ping'], 10_000)).toEqual({ ok: true, value: 'pong' });
  expect([...((await banned(d.sock, 'test')) ?? [])].sort()).toEqual([...BANS].sort());
  expect(d.proc?.exitCode).toBeNull();
}

interface Exchange {
  lines: string[];
  closed: boolean;
  error: string | null;
}

/** Send raw bytes; collect reply lines until `want` lines, a close, or `waitMs`. */
function exchange(
  payload: Buffer | string | (Buffer | string)[],
  opts: { want?: number; end?: boolean; waitMs?: number } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = createConnection(d.sock);
    const out: Exchange = { lines: [], closed: false, error: null };
    let buf = '';
    const finish = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(finish, opts.waitMs ?? 5000);
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        out.lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      if (opts.want !== undefined && out.lines.length >= opts.want) finish();
    });
    s.on('error', (e) => {
      out.error = e.message;
    });
    s.on('close', () => {
      out.closed = true;
      finish();
    });
    s.on('connect', () => {
      for (const p of Array.isArray(payload) ? payload : [payload]) s.write(p);
      if (opts.end) s.end();
    });
  });
}

const parsed = (l: string): { ok: boolean; kind?: string; error?: string; value?: unknown } =>
  JSON.parse(l) as { ok: boolean };

describe.skipIf(!built())('control socket under hostile input', () => {
  it('is 0600 in a 0700 directory', () => {
    expect(statSync(d.sock).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(d.sock)).mode & 0o777).toBe(0o700);
  });

  it('random bytes, with and without newlines', async () => {
    const rand = rng(4242);
    for (let round = 0; round < 30; round++) {
      const n = 1 + Math.floor(rand() * 4096);
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
      if (round % 2 === 0) b[n - 1] = 10;
      const r = await exchange(b, { end: round % 3 === 0, waitMs: 400 });
      // every complete line that was answered got an error reply, never a crash or a success
      for (const l of r.lines) expect(parsed(l).ok).toBe(false);
    }
    await stillServing();
  });

  it('truncated JSON and JSON of the wrong shape get error replies', async () => {
    const bad = [
      '{"cmd": ["sta',
      '{"cmd": ["status"',
      '{"cmd": ["status"]',
      '[]',
      'null',
      '"ping"',
      '42',
      '{}',
      '{"cmd": []}',
      '{"cmd": "ping"}',
      '{"cmd": {"0": "ping"}}',
      '{"cmd": null}',
      '{"cmd": [null]}',
      '{"cmd": [[]]}',
      '{"cmd": [{"a": 1}]}',
      '{"cmd": [1e999]}',
      '{"__proto__": {"cmd": ["ping"]}}',
      '{"cmd": ["__proto__"]}',
      '{"cmd": ["get", "__proto__", "banip"]}',
      '{"cmd": ["get", "constructor", "banip"]}',
      '{"cmd": ["set", "test", "__proto__", "x"]}',
      '{"cmd": ["set", "test", "maxretry", "many"]}',
      '{"cmd": ["set", "test", "bantime", "1e999h"]}',
      '{"cmd": ["set", "test", "unbanip"]}',
      '{"cmd": ["get"]}',
      '{"cmd": ["get", "test"]}',
      '{"cmd": ["unban"]}',
      '{"cmd": ["reload", "nosuch"]}',
      '{"cmd": ["start"]}',
      '{"cmd": ["set", "loglevel", "NOSUCHLEVEL"]}',
      '{"cmd": ["set", "dbfile", "/tmp/x"]}',
      `{"cmd": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      `{"cmd": ["echo", ${Array.from({ length: 100_001 }, () => '"a"').join(',')}]}`,
    ];
    const r = await exchange(
      bad.map((l) => `${l}\n`),
      { want: bad.length, waitMs: 20_000 },
    );
    expect(r.lines).toHaveLength(bad.length);
    const replies = r.lines.map(parsed);
    const ok = replies.map((x, i) => [bad[i]!.slice(0, 60), x.ok]).filter(([, k]) => k);
    expect(ok).toEqual([]);
    for (const x of replies) expect(typeof x.error).toBe('string');
    // the connection still works after all that
    const again = await exchange('{"cmd":["ping"]}\n', { want: 1 });
    expect(parsed(again.lines[0]!)).toEqual({ ok: true, value: 'pong' });
    expect(await ask(d.sock, ['get', 'test', 'maxretry'])).toEqual({ ok: true, value: 3 });
    // banip with no address is no error: fail2ban 1.0.2 answers 0 (bans nothing)
    expect(await ask(d.sock, ['set', 'test', 'banip'])).toEqual({ ok: true, value: 0 });
    await stillServing();
  });

  it('messages over 1 MiB are refused; big but legal pipelines are served', async () => {
    const huge = Buffer.alloc(3 << 20, 0x61);
    const r1 = await exchange(huge, { waitMs: 15_000 });
    expect(r1.lines.map(parsed)).toEqual([
      { ok: false, kind: 'Value', error: expect.stringMatching(/too large/) as unknown },
    ]);
    expect(r1.closed).toBe(true);
    const big = `{"cmd": ["echo", "${'x'.repeat(2 << 20)}"]}\n`;
    const r2 = await exchange(big, { waitMs: 15_000 });
    expect(r2.lines.map(parsed)).toEqual([
      { ok: false, kind: 'Value', error: expect.stringMatching(/too large/) as unknown },
    ]);
    // 2000 pipelined pings in one write: every one answered, in order
    const r3 = await exchange('{"cmd":["ping"]}\n'.repeat(2000), { want: 2000, waitMs: 30_000 });
    expect(r3.lines).toHaveLength(2000);
    expect(new Set(r3.lines)).toEqual(new Set(['{"ok":true,"value":"pong"}']));
    await stillServing();
  });

  it('many parallel connections are all answered', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        exchange(`{"cmd":["echo","${i}"]}\n`, { want: 1, waitMs: 30_000 }),
      ),
    );
    results.forEach((r, i) => {
      expect(r.lines.map(parsed)).toEqual([{ ok: true, value: [String(i)] }]);
    });
    await stillServing();
  });

  it('idle connections that never send do not block others', async () => {
    const idle: Socket[] = [];
    for (let i = 0; i < 50; i++) idle.push(createConnection(d.sock).on('error', () => undefined));
    await new Promise((r) => setTimeout(r, 300));
    await stillServing();
    for (const s of idle) s.destroy();
  });

  it('refuses a non-root peer by file permissions', () => {
    // Open up the directories on the way so that only the socket's own 0600 mode stands in the way.
    const dirs = [d.dir, dirname(d.sock)];
    const modes = dirs.map((p) => statSync(p).mode & 0o777);
    for (const p of dirs) chmodSync(p, 0o711);
    try {
      const code = `const s=require('net').createConnection(${JSON.stringify(d.sock)});
s.on('connect',()=>{s.write('{"cmd":["ping"]}\\n');s.on('data',(b)=>{process.stdout.write('REPLY '+b);process.exit(0)})});
s.on('error',(e)=>{process.stdout.write(e.code);process.exit(0)});`;
      const r = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', code],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (r.error) throw r.error;
      expect(r.stdout).toBe('EACCES');
    } finally {
      dirs.forEach((p, i) => {
        chmodSync(p, modes[i]!);
      });
    }
  });

  it('stops cleanly with idle connections still open', async () => {
    const idle: Socket[] = [];
    for (let i = 0; i < 20; i++) idle.push(createConnection(d.sock).on('error', () => undefined));
    await new Promise((r) => setTimeout(r, 200));
    await stillServing();
    const p = d.proc!;
    const exited = new Promise<number | null>((r) =>
      p.once('exit', (c) => {
        r(c);
      }),
    );
    expect(await ask(d.sock, ['stop'])).toEqual({ ok: true, value: null });
    expect(await exited).toBe(0);
    for (const s of idle) s.destroy();
  });
});
