import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { sendCommand } from '../../src/control/client.js';
import type { Reply } from '../../src/control/protocol.js';

/**
 * Helpers for the e2e proof tests on top of harness.ts: talk to the control socket in-process
 * (spawning a client per poll is slow on a busy machine), read the daemon's SQLite store and
 * server log, run a paced log writer in its own process, and a seeded random source.
 */

/**
 * A daemon forked by `client start` (not the harness's child): end it by its pid file, if the
 * pid still is our server for this config (a stale pid may have been reused by anything).
 */
export function killForked(d: { pid: string; conf: string }): void {
  try {
    const pid = Number(readFileSync(d.pid, 'utf8'));
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (pid > 0 && cmdline.includes('server') && cmdline.includes(d.conf)) process.kill(pid, 'SIGTERM');
  } catch {
    /* no pid file or already gone */
  }
}

/** Waits until process `pid` no longer exists. */
export async function waitGone(pid: number, what: string, timeoutMs = 10_000): Promise<void> {
  await waitForAsync(
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    timeoutMs,
    what,
  );
}

export async function ask(sock: string, cmd: string[], timeoutMs = 30_000): Promise<Reply> {
  return sendCommand(sock, cmd, timeoutMs);
}

/** The reply value; throws with the server's error otherwise. */
export async function askValue(sock: string, cmd: string[]): Promise<unknown> {
  const r = await ask(sock, cmd);
  if (!r.ok) throw new Error(`${cmd.join(' ')}: ${r.kind}: ${r.error}`);
  return r.value;
}

/** `get <jail> banip` as a set, or null while the jail is not (yet) there. */
export async function banned(sock: string, jail: string): Promise<Set<string> | null> {
  try {
    const r = await ask(sock, ['get', jail, 'banip']);
    return r.ok ? new Set(r.value as string[]) : null;
  } catch {
    return null;
  }
}

/** A status tree value by labels, e.g. statusValue(tree, 'Filter', 'Total failed'). */
export function statusValue(tree: unknown, ...labels: string[]): unknown {
  let cur: unknown = tree;
  for (const l of labels) {
    const pair = (cur as [string, unknown][]).find(([k]) => k === l);
    if (!pair) throw new Error(`no status entry ${labels.join(' > ')}`);
    cur = pair[1];
  }
  return cur;
}

export async function totalFailed(sock: string, jail: string): Promise<number> {
  return Number(statusValue(await askValue(sock, ['status', jail]), 'Filter', 'Total failed'));
}

export async function waitForAsync(
  cond: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string | (() => string | Promise<string>),
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error(`timed out: ${typeof what === 'string' ? what : await what()}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the store holds for a jail: addresses in `bips` and the saved log positions. */
export function readStore(db: string, jail: string): { bans: Set<string>; positions: Map<string, number> } {
  const h = new Database(db, { readonly: true, fileMustExist: true });
  try {
    h.pragma('busy_timeout = 5000');
    const bans = new Set(
      (h.prepare('SELECT ip FROM bips WHERE jail = ?').all(jail) as { ip: string }[]).map((r) => r.ip),
    );
    const positions = new Map(
      (
        h.prepare('SELECT path, lastfilepos FROM logs WHERE jail = ?').all(jail) as {
          path: string;
          lastfilepos: number;
        }[]
      ).map((r) => [r.path, r.lastfilepos]),
    );
    return { bans, positions };
  } finally {
    h.close();
  }
}

/** `[jail] Found …` lines of the server log, counted per daemon pid (the `[pid]` field). */
export function foundByPid(serverLog: string, jail: string): Map<number, number> {
  const out = new Map<number, number>();
  if (!existsSync(serverLog)) return out;
  const re = new RegExp(`\\[(\\d+)\\]: INFO\\s+\\[${jail}\\] Found `);
  for (const line of readFileSync(serverLog, 'utf8').split('\n')) {
    const m = re.exec(line);
    if (m) out.set(Number(m[1]), (out.get(Number(m[1])) ?? 0) + 1);
  }
  return out;
}

/** The start offset each daemon pid used for `path` ("Added logfile: '…' (pos = N, …)"). */
export function startPosByPid(serverLog: string, path: string): Map<number, number> {
  const out = new Map<number, number>();
  const marker = `Added logfile: '${path}' (pos = `;
  for (const line of readFileSync(serverLog, 'utf8').split('\n')) {
    const i = line.indexOf(marker);
    const m = /\[(\d+)\]:/.exec(line);
    if (i >= 0 && m) out.set(Number(m[1]), Number.parseInt(line.slice(i + marker.length), 10));
  }
  return out;
}

/** Recorded ban lines `+<id> <pid>` grouped: pid → id → count. */
export function banLinesByPid(lines: string[]): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  for (const l of lines) {
    const m = /^\+(\S+) (\d+)$/.exec(l);
    if (!m) continue;
    const pid = Number(m[2]);
    let per = out.get(pid);
    if (!per) out.set(pid, (per = new Map<string, number>()));
    per.set(m[1]!, (per.get(m[1]!) ?? 0) + 1);
  }
  return out;
}

/**
 * An `ipset` stand-in that records `+<ip> <daemon pid>` / `-<ip> <daemon pid>` lines, for the
 * single-command form (`ipset -exist add <set> <ip>`) and the batch form (`ipset restore`, lines
 * on stdin) the daemon uses for mass bans. The daemon pid comes from the pidfile, which every
 * daemon rewrites before its jails start.
 */
export function writeIpsetStub(path: string, record: string, pidfile: string): void {
  writeFileSync(
    path,
    `#!/bin/sh
pid=$(cat '${pidfile}')
if [ "$1" = restore ]; then
  while read -r op set ip rest; do
    case "$op" in add) echo "+$ip $pid" ;; del) echo "-$ip $pid" ;; esac
  done >> '${record}'
  exit 0
fi
while [ "$1" = -exist ]; do shift; done
case "$1" in add) echo "+$3 $pid" >> '${record}' ;; del) echo "-$3 $pid" >> '${record}' ;; esac
exit 0
`,
  );
  chmodSync(path, 0o755);
}

export function ipsetRecordAction(stub: string): string {
  return [
    '[Definition]',
    'actionstart =',
    'actionstop =',
    `actionban = ${stub} -exist add f2b-<name> <ip>`,
    `actionunban = ${stub} -exist del f2b-<name> <ip>`,
    '',
  ].join('\n');
}

/** A deterministic random source (LCG), so a failing run can be replayed by its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 1) / 0x80000000;
  };
}

export function addressOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/**
 * A writer in its own process (it keeps going while the daemon is killed and restarted):
 * `line` is JS source of a function `(i) => string` producing line i (without the newline); it
 * may use `stamp()` (syslog time of now) and `addr(i)` (= addressOf).
 * Every `intervalMs` it appends the next 1..maxBatch lines with one write. Resolves with the
 * number of lines written.
 */
export interface Writer {
  proc: ChildProcess;
  done: Promise<number>;
}

export function startWriter(opts: {
  file: string;
  total: number;
  maxBatch: number;
  intervalMs: number;
  seed: number;
  line: string;
  /** Lines per group that are always written together (e.g. maxretry lines of one address). */
  group?: number;
}): Writer {
  const code = `
const fs = require('node:fs');
const { file, total, maxBatch, intervalMs, seed, group } = JSON.parse(process.argv[1]);
const M = ['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'];
const p2 = (n) => String(n).padStart(2, '0');
const stamp = (d = new Date()) => M[d.getMonth()] + ' ' + String(d.getDate()).padStart(2, ' ') + ' ' + p2(d.getHours()) + ':' + p2(d.getMinutes()) + ':' + p2(d.getSeconds());
const addr = (i) => '10.' + ((i >> 16) & 255) + '.' + ((i >> 8) & 255) + '.' + (i & 255);
const line = ${opts.line};
let s = seed >>> 0 || 1;
const rand = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 1) / 0x80000000; };
let i = 0;
const fd = fs.openSync(file, 'a');
const tick = () => {
  let text = '';
  let n = (1 + Math.floor(rand() * maxBatch)) * group;
  for (; n > 0 && i < total; n--) text += line(i++) + '\\n';
  if (text) fs.writeSync(fd, text);
  if (i < total) setTimeout(tick, intervalMs);
  else { fs.closeSync(fd); process.stdout.write(String(i)); }
};
tick();
`;
  const proc = spawn(
    process.execPath,
    ['-e', code, JSON.stringify({ ...opts, group: opts.group ?? 1, line: undefined })],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (d: string) => (out += d));
  const done = new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => {
      if (code === 0) resolve(Number(out));
      else reject(new Error(`writer exited with ${String(code)}`));
    });
  });
  return { proc, done };
}

/** Lines of `text` before byte offset `pos` (= the index of the line starting there). */
export function lineIndex(text: Buffer, pos: number): number {
  let n = 0;
  for (let i = text.indexOf(10); i >= 0 && i < pos; i = text.indexOf(10, i + 1)) n++;
  return n;
}
