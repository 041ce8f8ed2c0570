/**
 * Mass bans through the real firewall tools (issue 4), inside a network namespace this bench
 * creates and always deletes: the daemon runs in the namespace with our shipped nftables / ipset
 * actions (the shapes actions/command/batch.ts turns into one `nft -f -` / `ipset restore`),
 * gets 100k addresses through its `banip` command, then is restarted and restores them from SQLite.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { sendCommand } from '../src/control/client.js';
import { benchIp } from './logs.js';
import { failed, type Row } from './table.js';
import { CLI, NODE_FLAGS, ROOT, sleep, until, which } from './util.js';

export function canFirewall(): boolean {
  return process.getuid?.() === 0 && which('ip') !== null && which('nft') !== null && which('ipset') !== null;
}

interface Fw {
  label: string;
  action: string;
  /** Elements currently in the set, -1 when it cannot be read. */
  count(ns: string): number;
}

const FWS: Fw[] = [
  {
    label: 'nftables set',
    action: 'nftables[name=bench, type=allports]',
    count(ns) {
      const r = spawnSync(
        'ip',
        ['netns', 'exec', ns, 'nft', '-j', 'list', 'set', 'inet', 'f2b-table', 'addr-set-bench'],
        { encoding: 'utf8', maxBuffer: 1 << 28 },
      );
      if (r.status !== 0) return -1;
      try {
        const doc = JSON.parse(r.stdout) as { nftables: { set?: { elem?: unknown[] } }[] };
        return doc.nftables.find((x) => x.set)?.set?.elem?.length ?? 0;
      } catch {
        return -1;
      }
    },
  },
  {
    label: 'ipset hash:ip',
    action: 'ipset[name=bench, maxelem=262144]',
    count(ns) {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'ipset', 'list', 'f2b-bench', '-t'], {
        encoding: 'utf8',
      });
      const m = /Number of entries:\s*(\d+)/.exec(r.stdout);
      return r.status === 0 && m ? Number(m[1]) : -1;
    },
  },
];

export async function benchFirewall(total: number, timeoutS: number): Promise<Row[]> {
  const ns = `lj-bench-${String(process.pid)}`;
  const rows: Row[] = [];
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) return [failed('firewall', 'netns', add.stderr)];
  try {
    spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    for (const fw of FWS) rows.push(...(await one(ns, fw, total, timeoutS)));
  } finally {
    spawnSync('ip', ['netns', 'delete', ns]);
  }
  return rows;
}

async function one(ns: string, fw: Fw, total: number, timeoutS: number): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lj-bench-fw-'));
  const conf = join(dir, 'conf');
  const sock = join(dir, 'd.sock');
  mkdirSync(join(conf, 'filter.d'), { recursive: true });
  cpSync(join(ROOT, 'config', 'action.d'), join(conf, 'action.d'), { recursive: true });
  writeFileSync(join(conf, 'filter.d', 'none.conf'), '[Definition]\nfailregex = ^never <HOST>$\n');
  writeFileSync(join(dir, 'empty.log'), '');
  writeFileSync(
    join(conf, 'fail2ban.conf'),
    `[Definition]\nloglevel = NOTICE\nlogtarget = ${join(dir, 'server.log')}\nsocket = ${sock}\npidfile = ${join(dir, 'd.pid')}\ndbfile = ${join(dir, 'db.sqlite3')}\n`,
  );
  writeFileSync(
    join(conf, 'jail.conf'),
    `[fw]\nenabled = true\nfilter = none\nlogpath = ${join(dir, 'empty.log')}\nbantime = 1d\nignoreself = false\naction = ${fw.action}\n`,
  );
  const start = (): ChildProcess =>
    spawn('ip', ['netns', 'exec', ns, process.execPath, ...NODE_FLAGS, CLI, 'server', '-f', '-x', '-c', conf], {
      stdio: 'ignore',
    });
  const ping = async (): Promise<boolean> => {
    try {
      return (await sendCommand(sock, ['ping'], 5000)).ok;
    } catch {
      return false;
    }
  };
  const stop = async (p: ChildProcess): Promise<void> => {
    if (p.exitCode !== null) return;
    const exited = new Promise<void>((r) =>
      p.once('exit', () => {
        r();
      }),
    );
    p.kill('SIGTERM');
    await Promise.race([exited, sleep(60_000)]);
  };
  const rows: Row[] = [];
  let p = start();
  try {
    if (!(await until(ping, 30_000, 100))) return [failed('firewall', fw.label, 'daemon did not start')];
    const ips = Array.from({ length: total }, (_, i) => benchIp(i));
    const t0 = process.hrtime.bigint();
    // 20k per command keeps each request under the protocol's 1 MiB message limit
    for (let i = 0; i < ips.length; i += 20_000) {
      const r = await sendCommand(sock, ['set', 'fw', 'banip', ...ips.slice(i, i + 20_000)], timeoutS * 1000);
      if (!r.ok) return [failed('firewall', fw.label, r.error)];
    }
    const banS = Number(process.hrtime.bigint() - t0) / 1e9;
    const n1 = fw.count(ns);
    rows.push(
      row(
        `ban ${String(total / 1000)}k via daemon banip → ${fw.label}`,
        total,
        banS,
        `${String(n1)} elements in the set afterwards`,
      ),
    );

    await stop(p);
    const t1 = process.hrtime.bigint();
    p = start();
    let n2 = -1;
    await until(() => (n2 = fw.count(ns)) >= total, timeoutS * 1000, 200);
    const restoreS = Number(process.hrtime.bigint() - t1) / 1e9;
    rows.push(
      row(
        `restart: restore ${String(total / 1000)}k from SQLite → ${fw.label}`,
        total,
        restoreS,
        `${String(n2)} elements (time from daemon spawn)`,
      ),
    );
    return rows;
  } finally {
    await stop(p);
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(what: string, n: number, s: number, note: string): Row {
  return {
    section: 'firewall',
    what,
    lines: n,
    wall: s,
    cpu: NaN,
    linesPerS: n / s,
    linesPerCpuS: NaN,
    rssMiB: NaN,
    note: `${note}; target ≤ 10 s`,
  };
}

