import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  addressOf,
  banLinesByPid,
  banned,
  foundByPid,
  ipsetRecordAction,
  lineIndex,
  readStore,
  rng,
  sleep,
  startPosByPid,
  startWriter,
  waitForAsync,
  writeIpsetStub,
} from './daemon-tools.js';
import { built, DaemonRoot } from './harness.js';

/**
 * kill -9 during a ban storm, restart with -x, repeat. The writer (its own process) appends
 * `maxretry` failure lines for each of ADDRS addresses while the daemon is killed at random
 * moments. The ban action is an `ipset` stand-in recording `+<ip> <daemon pid>`, so the mass-ban
 * batch path is what gets killed mid-way.
 *
 * Asserted:
 * - after every restart, every ban the store held at the kill is active again (`get test banip`),
 *   and at the end store and daemon agree exactly and the last daemon re-applied every stored ban;
 * - no address is banned twice by the action within one daemon lifetime;
 * - positions: each lifetime starts at the offset the store held at the kill (its "Added
 *   logfile … pos =" line), the saved offset is never past what that lifetime had counted (no
 *   failure lost), and the last lifetime counts up to the end. So the total of `Found` lines over
 *   all lifetimes is ≥ the lines written, and the excess (lines re-read after a kill) is at most
 *   the lines between the saved offset and end of file at each kill — positions are saved every
 *   second, so that is at most the last second of reading before the kill.
 */
const ADDRS = Number(process.env.LOGJAIL_CRASH_ADDRS ?? 2000);
const KILLS = Number(process.env.LOGJAIL_CRASH_KILLS ?? 4);
const SEED = Number(process.env.LOGJAIL_CRASH_SEED ?? 20240611);
const MAXRETRY = 3;

const roots: DaemonRoot[] = [];
afterAll(async () => {
  for (const r of roots) {
    await r.stop();
    r.cleanup();
  }
});

describe.skipIf(!built())('crash (kill -9 during a ban storm)', () => {
  it(`restores stored bans, never double-bans, resumes positions (${ADDRS} addresses, ${KILLS} kills)`, async () => {
    const rand = rng(SEED);
    const d = new DaemonRoot({
      jail: { maxretry: String(MAXRETRY), findtime: '1h', bantime: '1h' },
    });
    roots.push(d);
    const stub = join(d.dir, 'ipset');
    writeIpsetStub(stub, d.record, d.pid);
    d.writeConf('action.d/record.conf', ipsetRecordAction(stub));

    const total = ADDRS * MAXRETRY;
    await d.start(['-x']);
    const writer = startWriter({
      file: d.log,
      total,
      maxBatch: 10,
      intervalMs: 50,
      seed: SEED,
      group: MAXRETRY,
      line: `(i) => stamp() + ' host sshd[1]: Failed password for root from ' + addr(Math.floor(i / ${MAXRETRY}) + 1) + ' port 22 ssh2'`,
    });

    const pids: number[] = [];
    const kills: { pid: number; saved: number; size: number; stored: Set<string> }[] = [];
    for (let k = 0; k < KILLS; k++) {
      // A random moment: sometimes right after the restore, sometimes well into the storm.
      await sleep(Math.floor(rand() * (k % 2 === 0 ? 400 : 2500)));
      const p = d.proc!;
      const pid = p.pid!;
      pids.push(pid);
      const exited = new Promise((r) => p.once('exit', r));
      d.kill9();
      await exited;
      const size = statSync(d.log).size;
      const st = readStore(d.db, 'test');
      kills.push({ pid, saved: st.positions.get(d.log) ?? 0, size, stored: st.bans });

      await d.start(['-x']);
      let missing: string[] = [];
      await waitForAsync(
        async () => {
          const now = await banned(d.sock, 'test');
          missing = now ? [...st.bans].filter((ip) => !now.has(ip)) : [...st.bans];
          return missing.length === 0;
        },
        120_000,
        () =>
          `after kill ${k + 1}: ${missing.length} stored bans not active, e.g. ${missing.slice(0, 5).join(' ')}`,
      );
    }
    const written = await writer.done;
    expect(written).toBe(total);
    const finalPid = d.proc!.pid!;
    pids.push(finalPid);

    // The last daemon reads to the end of the log and settles.
    const size = statSync(d.log).size;
    await waitForAsync(
      () => readStore(d.db, 'test').positions.get(d.log) === size,
      120_000,
      'final daemon did not reach the end of the log',
    );
    let last = '';
    await waitForAsync(
      async () => {
        const now = await banned(d.sock, 'test');
        const st = readStore(d.db, 'test');
        const applied = banLinesByPid(d.records()).get(finalPid) ?? new Map<string, number>();
        const sig = `${now?.size ?? -1}/${st.bans.size}/${applied.size}`;
        const stable = sig === last && now?.size === st.bans.size && applied.size === st.bans.size;
        last = sig;
        return stable;
      },
      180_000,
      () => `store, daemon and action did not settle: ${last}`,
    );
    await sleep(500);

    // Store and running daemon agree; every earlier stored ban is still among them.
    const store = readStore(d.db, 'test');
    const active = (await banned(d.sock, 'test'))!;
    expect([...store.bans].filter((ip) => !active.has(ip))).toEqual([]);
    expect([...active].filter((ip) => !store.bans.has(ip))).toEqual([]);
    for (const k of kills) expect([...k.stored].filter((ip) => !active.has(ip))).toEqual([]);
    expect(store.bans.size).toBeGreaterThan(ADDRS / 2);

    // The action: at most one ban line per address per lifetime; the last one applied all.
    const byPid = banLinesByPid(d.records());
    for (const [pid, per] of byPid) {
      expect(pids).toContain(pid);
      const twice = [...per].filter(([, n]) => n > 1).map(([ip]) => ip);
      expect(twice, `daemon ${pid} banned twice`).toEqual([]);
    }
    const finalApplied = byPid.get(finalPid)!;
    expect([...store.bans].filter((ip) => !finalApplied.has(ip))).toEqual([]);
    for (const ip of store.bans) expect(ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(store.bans.has(addressOf(1))).toBe(true);

    // Positions.
    const text = readFileSync(d.log);
    const found = foundByPid(d.serverLog, 'test');
    const starts = startPosByPid(d.serverLog, d.log);
    let reread = 0;
    let bound = 0;
    let prevSaved = 0;
    pids.forEach((pid, k) => {
      expect(starts.get(pid), `start offset of daemon ${pid}`).toBe(prevSaved);
      const end = lineIndex(text, prevSaved) + (found.get(pid) ?? 0);
      const kill = kills[k];
      if (kill) {
        const saved = lineIndex(text, kill.saved);
        expect(saved, `daemon ${pid}: saved position past the counted lines`).toBeLessThanOrEqual(end);
        expect(end).toBeLessThanOrEqual(lineIndex(text, kill.size));
        reread += end - saved;
        bound += lineIndex(text, kill.size) - saved;
        prevSaved = kill.saved;
      } else {
        expect(end, 'last daemon counted to the end').toBe(written);
      }
    });
    const counted = [...pids].reduce((s, pid) => s + (found.get(pid) ?? 0), 0);
    console.log(
      `crash: ${ADDRS} addresses, ${written} lines, ${KILLS} kills; bans stored ${store.bans.size}; ` +
        `failures counted ${counted} (re-read after kills ${reread}, bound ${bound}); ` +
        `ban lines per lifetime ${pids.map((p) => byPid.get(p)?.size ?? 0).join('/')}`,
    );
    expect(counted).toBe(written + reread);
    expect(counted).toBeGreaterThanOrEqual(written);
    expect(counted - written).toBeLessThanOrEqual(bound);
  }, 900_000);
});
