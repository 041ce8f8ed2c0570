/**
 * The real daemons under load: catch-up throughput (1M lines appended at once), time from the
 * maxretry-th line to the ban action, and memory with 100k tracked addresses. Each daemon runs in
 * a scratch config tree in /tmp with its own socket, pid file and SQLite store; actions only write
 * to a file. Debian's fail2ban-server gets the same tree (same filter files) when installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendCommand } from '../src/control/client.js';
import type { StatusPair, StatusValue } from '../src/control/beautify.js';
import { benchIp, corpusConfig, syslogStamp, type GenLog } from './logs.js';
import { failed, type Row } from './table.js';
import { CLI, NODE_FLAGS, percentile, procCpu, procMemKiB, sleep, until, which } from './util.js';

export type Kind = 'logjail' | 'fail2ban';

export interface JailSpec {
  name: string;
  log: string;
  maxretry: number;
  /** Action file name in action.d, or '' for none. */
  action: string;
}

/** LOGJAIL_BENCH_CPU_PROF=DIR: the server writes a V8 CPU profile there (to see where catch-up time goes). */
function profileFlags(): string[] {
  const dir = process.env.LOGJAIL_BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** A scratch config tree and the daemon running on it. */
export class BenchDaemon {
  readonly dir: string;
  readonly conf: string;
  readonly sock: string;
  readonly pidFile: string;
  readonly record: string;
  proc: ChildProcess | null = null;
  stderr = '';

  constructor(
    readonly kind: Kind,
    jails: JailSpec[],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `lj-bench-${kind}-`));
    this.conf = join(this.dir, 'conf');
    this.sock = join(this.dir, 'daemon.sock');
    this.pidFile = join(this.dir, 'daemon.pid');
    this.record = join(this.dir, 'actions.txt');
    mkdirSync(join(this.conf, 'filter.d'), { recursive: true });
    mkdirSync(join(this.conf, 'action.d'), { recursive: true });
    writeFileSync(this.record, '');
    const filters = filterSource();
    for (const f of ['common.conf', 'sshd.conf'])
      copyFileSync(join(filters, f), join(this.conf, 'filter.d', f));
    writeFileSync(
      join(this.conf, 'fail2ban.conf'),
      `[Definition]\nloglevel = NOTICE\nlogtarget = ${join(this.dir, 'server.log')}\nsocket = ${this.sock}\npidfile = ${this.pidFile}\ndbfile = ${join(this.dir, 'db.sqlite3')}\ndbpurgeage = 1d\n`,
    );
    // echo through a shell, like fail2ban's dummy action: the marker line is the ban
    writeFileSync(
      join(this.conf, 'action.d', 'record.conf'),
      `[Definition]\nactionstart =\nactionstop =\nactionban = echo "+<ip>" >> ${this.record}\nactionunban = echo "-<ip>" >> ${this.record}\n`,
    );
    let jail = '[DEFAULT]\nbantime = 1h\nfindtime = 1h\nignoreself = false\nbackend = auto\nusedns = no\n';
    for (const j of jails) {
      jail += `\n[${j.name}]\nenabled = true\nfilter = sshd\nlogpath = ${j.log}\nmaxretry = ${String(j.maxretry)}\naction = ${j.action}\n`;
    }
    writeFileSync(join(this.conf, 'jail.conf'), jail);
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<boolean> {
    const argv =
      this.kind === 'logjail'
        ? // the flags the installed binaries' shebang gives (see util.ts)
          [process.execPath, ...NODE_FLAGS, ...profileFlags(), CLI, 'server', '-f', '-x', '-c', this.conf]
        : ['fail2ban-server', '-f', '-x', '-c', this.conf, '-s', this.sock, '-p', this.pidFile];
    this.proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc
      .stderr!.setEncoding('utf8')
      .on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-5000)));
    return until(
      async () => (await this.totalFailed('__ping__')) !== null || this.proc?.exitCode !== null,
      30_000,
      200,
    ).then(() => this.proc?.exitCode === null);
  }

  /** `Total failed` of a jail, null when the daemon does not answer (or `__ping__`: 0 when it pings). */
  async totalFailed(jail: string): Promise<number | null> {
    if (this.kind === 'logjail') {
      try {
        // `short`: no banned-address list, so polling every 20 ms does not cost the daemon much
        const r = await sendCommand(this.sock, jail === '__ping__' ? ['ping'] : ['status', jail, 'short'], 10_000);
        if (!r.ok) return null;
        if (jail === '__ping__') return 0;
        return findNumber(r.value as StatusPair[], 'Total failed');
      } catch {
        return null;
      }
    }
    const args = jail === '__ping__' ? ['ping'] : ['status', jail];
    const r = spawnSync('fail2ban-client', ['-s', this.sock, ...args], { encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) return null;
    if (jail === '__ping__') return r.stdout.includes('pong') ? 0 : null;
    const m = /Total failed:\s*(\d+)/.exec(r.stdout);
    return m ? Number(m[1]) : null;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) =>
      p.once('exit', () => {
        r();
      }),
    );
    p.kill('SIGTERM');
    const ok = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
    if (!ok) p.kill('SIGKILL');
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function findNumber(tree: StatusValue, key: string): number | null {
  if (!Array.isArray(tree)) return null;
  for (const item of tree) {
    if (!Array.isArray(item)) continue;
    const [k, v] = item;
    if (k === key && typeof v === 'number') return v;
    const inner = findNumber(v, key);
    if (inner !== null) return inner;
  }
  return null;
}

/** Same filter files for both daemons: Debian's when present (fail2ban 1.0.2 reads them), else the corpus. */
function filterSource(): string {
  if (existsSync('/etc/fail2ban/filter.d/sshd.conf')) return '/etc/fail2ban/filter.d';
  const c = corpusConfig();
  if (!c) throw new Error('no sshd filter found (corpus or /etc/fail2ban)');
  return join(c, 'filter.d');
}

export function haveFail2banServer(): boolean {
  return which('fail2ban-server') !== null && which('fail2ban-client') !== null;
}

/** (a) catch-up: the daemon idles on an empty log, then the whole file is appended at once. */
export async function catchUp(kind: Kind, log: GenLog, timeoutS: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'lj-bench-log-'));
  const live = join(dir, 'auth.log');
  writeFileSync(live, '');
  const d = new BenchDaemon(kind, [{ name: 'sshd', log: live, maxretry: 5, action: '' }]);
  const what = `${kind} catch-up ${String(log.lines / 1e6)}M sshd lines`;
  try {
    if (!(await d.start())) return failed('daemon', what, d.stderr);
    await sleep(1500); // let the source reach its end of file (in operation)
    // fail2ban ignores a first read whose dates are older than findtime: stamp every line "now"
    const data = restamp(readFileSync(log.path), syslogStamp(new Date()));
    const cpu0 = procCpu(d.pid);
    const t0 = process.hrtime.bigint();
    appendFileSync(live, data);
    let seen = 0;
    let lastChange = Date.now();
    const elapsed = (): number => Number(process.hrtime.bigint() - t0) / 1e9;
    await until(
      async () => {
        const n = await d.totalFailed('sshd');
        if (n !== null && n !== seen) {
          seen = n;
          lastChange = Date.now();
        }
        // done: every hard failure counted, or no progress for 10 s (a different count)
        return seen >= log.hardFailures || (seen > 0 && Date.now() - lastChange > 10_000);
      },
      timeoutS * 1000,
      kind === 'logjail' ? 20 : 500,
    );
    const stalled = seen < log.hardFailures && Date.now() - lastChange > 10_000;
    const wall = stalled ? elapsed() - (Date.now() - lastChange) / 1000 : elapsed();
    const cpu = procCpu(d.pid) - cpu0;
    // lines/s over the part it did (failures are spread evenly over the file)
    const done = Math.min(1, seen / log.hardFailures) * log.lines;
    return {
      section: 'daemon',
      what,
      lines: done,
      wall,
      cpu,
      linesPerS: done / wall,
      linesPerCpuS: done / cpu,
      rssMiB: procMemKiB(d.pid, 'VmHWM') / 1024,
      note: `Total failed ${String(seen)} of ${String(log.hardFailures)} (genlog truth)${seen < log.hardFailures && !stalled ? `, stopped after ${String(timeoutS)} s` : ''}`,
    };
  } finally {
    await d.stop();
    d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Overwrites the 15-byte syslog date at the start of every line (genlog's layout). */
function restamp(buf: Buffer, stamp: string): Buffer {
  const b = Buffer.from(stamp, 'latin1');
  for (let i = 0; i < buf.length;) {
    if (i + b.length <= buf.length) b.copy(buf, i);
    const nl = buf.indexOf(10, i);
    if (nl < 0) break;
    i = nl + 1;
  }
  return buf;
}

/** Watches the action record file for `+ip` lines; resolves each waiter when its line appears. */
class RecordWatch {
  private pos = 0;
  private buf = '';
  private readonly seen = new Map<string, bigint>();
  private readonly waiters = new Map<string, (t: bigint) => void>();
  private readonly watcher;
  private readonly timer;

  constructor(private readonly path: string) {
    this.watcher = watch(path, () => {
      this.scan();
    });
    this.timer = setInterval(() => {
      this.scan();
    }, 20);
  }

  private scan(): void {
    const now = process.hrtime.bigint();
    const size = statSync(this.path).size;
    if (size <= this.pos) return;
    const fd = openSync(this.path, 'r');
    const b = Buffer.alloc(size - this.pos);
    readSync(fd, b, 0, b.length, this.pos);
    closeSync(fd);
    this.pos = size;
    this.buf += b.toString('utf8');
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const l = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!l.startsWith('+')) continue;
      const ip = l.slice(1).trim();
      this.seen.set(ip, now);
      this.waiters.get(ip)?.(now);
    }
  }

  wait(ip: string, timeoutMs: number): Promise<bigint | null> {
    const have = this.seen.get(ip);
    if (have !== undefined) return Promise.resolve(have);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters.delete(ip);
        resolve(null);
      }, timeoutMs);
      this.waiters.set(ip, (at) => {
        clearTimeout(t);
        this.waiters.delete(ip);
        resolve(at);
      });
    });
  }

  close(): void {
    this.watcher.close();
    clearInterval(this.timer);
  }
}

const failLine = (ip: string): string =>
  `${syslogStamp(new Date())} srv1 sshd[4242]: Failed password for root from ${ip} port 22 ssh2\n`;

/**
 * (b) latency from appending the maxretry-th failure line (all 3 in one write) to the action's
 * marker line, for `n` fresh addresses one after another; (c, logjail only) then RSS with
 * `tracked` distinct addresses below maxretry.
 */
export async function latencyAndMemory(
  kind: Kind,
  n: number,
  tracked: number,
  budgetS: number,
): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lj-bench-log-'));
  const latLog = join(dir, 'lat.log');
  const memLog = join(dir, 'mem.log');
  writeFileSync(latLog, '');
  writeFileSync(memLog, '');
  const jails: JailSpec[] = [{ name: 'lat', log: latLog, maxretry: 3, action: 'record' }];
  if (tracked > 0) jails.push({ name: 'mem', log: memLog, maxretry: 5, action: 'record' });
  const d = new BenchDaemon(kind, jails);
  const rows: Row[] = [];
  try {
    if (!(await d.start())) return [failed('daemon', `${kind} ban latency`, d.stderr)];
    await sleep(1500);
    const w = new RecordWatch(d.record);
    const lat: number[] = [];
    const end = Date.now() + budgetS * 1000;
    let lost = 0;
    for (let i = 0; i < n && Date.now() < end; i++) {
      const ip = benchIp(5_000_000 + i);
      const line = failLine(ip);
      const t0 = process.hrtime.bigint();
      appendFileSync(latLog, line + line + line);
      const t1 = await w.wait(ip, 10_000);
      if (t1 === null) lost++;
      else lat.push(Number(t1 - t0) / 1e6);
    }
    w.close();
    lat.sort((a, b) => a - b);
    rows.push({
      section: 'daemon',
      what: `${kind} append → ban action (maxretry 3)`,
      lines: lat.length,
      wall: lat.reduce((a, b) => a + b, 0) / 1000,
      cpu: NaN,
      linesPerS: NaN,
      linesPerCpuS: NaN,
      rssMiB: procMemKiB(d.pid, 'VmRSS') / 1024,
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      note: `${String(lat.length)} bans measured${lost ? `, ${String(lost)} not seen within 10 s` : ''}${lat.length < n ? ` (of ${String(n)}: ${String(budgetS)} s budget)` : ''}; max ${lat.length ? lat[lat.length - 1]!.toFixed(1) : '-'} ms`,
    });
    if (tracked > 0) {
      const rss0 = procMemKiB(d.pid, 'VmRSS') / 1024;
      const t0 = process.hrtime.bigint();
      const stamp = syslogStamp(new Date());
      let text = '';
      for (let i = 0; i < tracked; i++)
        text += `${stamp} srv1 sshd[4242]: Failed password for root from ${benchIp(i)} port 22 ssh2\n`;
      appendFileSync(memLog, text);
      let seen = 0;
      await until(async () => (seen = (await d.totalFailed('mem')) ?? seen) >= tracked, 300_000, 100);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      await sleep(2000);
      const rss = procMemKiB(d.pid, 'VmRSS') / 1024;
      rows.push({
        section: 'daemon',
        what: `${kind} RSS with ${String(tracked / 1000)}k addresses failing (< maxretry)`,
        lines: seen,
        wall,
        cpu: NaN,
        linesPerS: seen / wall,
        linesPerCpuS: NaN,
        rssMiB: rss,
        note: `RSS ${rss0.toFixed(0)} MiB before, ${rss.toFixed(0)} MiB after (peak ${(procMemKiB(d.pid, 'VmHWM') / 1024).toFixed(0)}); Total failed ${String(seen)}`,
      });
    }
    return rows;
  } finally {
    await d.stop();
    d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

