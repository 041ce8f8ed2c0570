import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beautify } from '../../src/control/beautify.js';
import { writeSample } from '../compat/known-differences.js';
import { ask, askValue, killForked, sleep } from './daemon-tools.js';
import { built, CLI } from './harness.js';

/**
 * Daemon differential: every fail2ban sample log with a filter of its name becomes a jail of one
 * config (73 jails, the corpus's own jail.conf and filters), run once by Debian's fail2ban-server
 * 1.0.2 and once by ours. Each jail's whole `status` (failures counted, bans, banned list in
 * order) must come out the same. The window is wide enough for the samples' old dates, there is
 * no action (nothing leaves the process) and no DNS; ignoreself is off, because what counts as
 * this host's own address differs between the two by design (README).
 */
const F2B_CLIENT = '/usr/bin/fail2ban-client';
const F2B_PYTHON = '/usr/bin/python3';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORPUS = resolve(process.env.LOGJAIL_COMPAT_CORPUS ?? resolve(repoRoot, '..', 'shared', 'fail2ban-corpus'));
const LOGS = join(CORPUS, 'tests', 'logs');
const ready =
  built() && existsSync(F2B_CLIENT) && existsSync(F2B_PYTHON) && existsSync(join(CORPUS, 'config', 'filter.d')) && existsSync(LOGS);

/** Writes what a ban gives an action: the usual tags, a captured value and the matched lines. */
const RECORD_ACTION = `[Definition]
actionban = printf '%%s\\n' "<name>|<ip>|<failures>|<bantime>|<bancount>|<F-USER>|<fid>|<ip-rev>|<family>" >> <file>
            printf '%%s\\n' "<name>|matches|<matches>" >> <file>
[Init]
file = /dev/null
`;

/** Prints `status JAIL` of every jail of a real fail2ban server, as its client would. */
const F2B_STATUS = `
import sys
from fail2ban.client.csocket import CSocket
from fail2ban.client.beautifier import Beautifier
def q(cmd):
    s = CSocket(sys.argv[1])
    try:
        return s.send(cmd)
    finally:
        s.close()
jails = [j.strip() for j in dict(q(['status'])[1])['Jail list'].split(',') if j.strip()]
for j in jails:
    print('== ' + j)
    print(Beautifier(['status', j]).beautify(q(['status', j])[1]))
`;

interface Side {
  conf: string;
  sock: string;
  pid: string;
}

describe.skipIf(!ready)('daemon differential: fail2ban-server 1.0.2 vs logjail server on the sample logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logjail-ddiff-'));
  const logs = join(dir, 'logs');
  const names = ready
    ? readdirSync(LOGS)
        .filter((n) => existsSync(join(CORPUS, 'config', 'filter.d', `${n}.conf`)))
        .sort()
    : [];

  const side = (name: string): Side => {
    const conf = join(dir, name);
    const s = { conf, sock: join(dir, `${name}.sock`), pid: join(dir, `${name}.pid`) };
    cpSync(join(CORPUS, 'config'), conf, { recursive: true });
    // the corpus's jail.d may enable jails of its own: only ours
    rmSync(join(conf, 'jail.d'), { recursive: true, force: true });
    const jails = names.map((n) => `[${n}]\nenabled = true\nbackend = polling\nlogpath = ${join(logs, n)}\n`);
    writeFileSync(
      join(conf, 'jail.local'),
      `[DEFAULT]\nusedns = no\nignoreself = false\nfindtime = 3153600000\nmaxretry = 3\nbantime = -1\naction =\n\n${jails.join('\n')}`,
    );
    // a second copy of the config whose jails record what each ban gives its action
    const rec = `${conf}-rec`;
    cpSync(conf, rec, { recursive: true });
    writeFileSync(join(rec, 'action.d', 'record.conf'), RECORD_ACTION);
    writeFileSync(
      join(rec, 'jail.local'),
      readFileSync(join(conf, 'jail.local'), 'utf8').replace(/^action =$/m, `action = record[file=${join(dir, `${name}.bans`)}]`),
    );
    writeFileSync(
      join(rec, 'fail2ban.local'),
      `[Definition]\nlogtarget = ${join(dir, `${name}-rec.log`)}\nsocket = ${s.sock}-rec\npidfile = ${s.pid}-rec\ndbfile = :memory:\n`,
    );
    writeFileSync(
      join(conf, 'fail2ban.local'),
      `[Definition]\nlogtarget = ${join(dir, `${name}.log`)}\nsocket = ${s.sock}\npidfile = ${s.pid}\ndbfile = :memory:\n`,
    );
    return s;
  };

  let theirs: Side;
  let ours: Side;
  beforeAll(() => {
    mkdirSync(logs);
    for (const n of names) writeSample(LOGS, n, join(logs, n));
    theirs = side('fail2ban');
    ours = side('logjail');
    const a = spawnSync(F2B_CLIENT, ['-c', theirs.conf, 'start'], { encoding: 'utf8', timeout: 60_000 });
    expect(a.status, a.stderr).toBe(0);
    const b = spawnSync(process.execPath, [CLI, 'client', '-c', ours.conf, 'start'], { encoding: 'utf8', timeout: 60_000 });
    expect(b.status, b.stderr).toBe(0);
  }, 120_000);

  afterAll(() => {
    spawnSync(F2B_CLIENT, ['-c', theirs.conf, 'stop'], { timeout: 30_000 });
    spawnSync(process.execPath, [CLI, 'client', '-c', ours.conf, 'stop'], { timeout: 30_000 });
    killForked({ pid: ours.pid, conf: ours.conf });
    rmSync(dir, { recursive: true, force: true });
  });

  const theirStatus = (): string => {
    const r = spawnSync(F2B_PYTHON, ['-c', F2B_STATUS, theirs.sock], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };
  const ourStatus = async (): Promise<string> => {
    const list = (await askValue(ours.sock, ['status'])) as [string, unknown][];
    const names = list.find(([k]) => k === 'Jail list')?.[1];
    const jails = (typeof names === 'string' ? names : '')
      .split(',')
      .map((j) => j.trim())
      .filter((j) => j !== '');
    const out: string[] = [];
    for (const j of jails) {
      const r = await ask(ours.sock, ['status', j]);
      expect(r.ok).toBe(true);
      if (r.ok) out.push(`== ${j}`, beautify(['status', j], r.value));
    }
    return out.join('\n') + '\n';
  };

  /** A status that no longer changes (both read their logs from the start once). */
  const settled = async (
    read: () => string | Promise<string>,
    ready = (t: string): boolean => t.includes('Total failed:\t'),
  ): Promise<string> => {
    let last = '';
    for (let i = 0; i < 60; i++) {
      const now = await read();
      if (now === last && ready(now)) return now;
      last = now;
      await sleep(1000);
    }
    return last;
  };

  it('the same -d stream and the same reader warnings (-d and -t)', () => {
    // log lines without their time and pid
    const bare = (err: string): string[] =>
      err
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.slice(24).replace(/ \[\d+\]:/, ':'));
    for (const flag of ['-d', '-t']) {
      const want = spawnSync(F2B_CLIENT, ['-c', theirs.conf, flag], { encoding: 'utf8', timeout: 60_000 });
      const got = spawnSync(process.execPath, [CLI, 'client', '-c', theirs.conf, flag], { encoding: 'utf8', timeout: 60_000 });
      expect(got.status).toBe(want.status);
      expect(got.stdout).toBe(want.stdout);
      expect(bare(got.stderr)).toEqual(bare(want.stderr));
      // every jail of this config has no action: fail2ban's reader says so for each
      expect(bare(want.stderr).filter((l) => l.includes('No actions were defined for')).length).toBe(names.length);
    }
  }, 120_000);

  it('every jail: the same status', async () => {
    const [want, got] = [await settled(theirStatus), await settled(ourStatus)];
    const jails = want.split('\n').filter((l) => l.startsWith('== '));
    expect(jails.length).toBe(names.length);
    // a real workload: failures in most jails, and bans
    const failedJails = [...want.matchAll(/Total failed:\t(\d+)/g)].filter((m) => Number(m[1]) > 0).length;
    expect(failedJails).toBeGreaterThan(60);
    expect(want).toMatch(/Total banned:\t[1-9]/);
    expect(got).toBe(want);
  }, 180_000);

  it('every ban: the same action tags (failures, bancount, captured user, matched lines) and log lines', async () => {
    const run = (argv: string[]): void => {
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
    };
    run([F2B_CLIENT, '-c', `${theirs.conf}-rec`, 'start']);
    run([process.execPath, CLI, 'client', '-c', `${ours.conf}-rec`, 'start']);
    const bans = (who: string) => (): string => {
      const f = join(dir, `${who}.bans`);
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    };
    try {
      // actions run apart from each other: per jail, in the order of its bans
      const byJail = (text: string): string[] => {
        const out = new Map<string, string[]>();
        let cur = '';
        for (const l of text.split('\n').filter((x) => x !== '')) {
          const j = /^([\w.-]+)\|/.exec(l)?.[1];
          if (j !== undefined && names.includes(j)) cur = j;
          out.set(cur, [...(out.get(cur) ?? []), l]);
        }
        return [...out].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([, ls]) => ls);
      };
      const want = byJail(await settled(bans('fail2ban'), (t) => t !== ''));
      const got = byJail(await settled(bans('logjail'), (t) => t !== ''));
      expect(want.filter((l) => /^[\w.-]+\|matches\|/.test(l)).length).toBeGreaterThan(20);
      expect(got).toEqual(want);
      // the server logs' jail lines (Found, Ban, already banned, Ignore, timestamp warnings …):
      // per jail and logger in order (fail2ban's filter and actions threads interleave freely)
      const jailLines = (who: string): string[] => {
        const by = new Map<string, string[]>();
        for (const l of readFileSync(join(dir, `${who}-rec.log`), 'utf8').split('\n')) {
          const m = /^\S+ \S+ (\S+)\s+\[\d+\]: (\S+)\s+\[([^\]]+)\] (.*)$/.exec(l);
          if (!m) continue;
          // a line without a date is found "now", a moment apart in the two runs
          const msg = m[4]!.replace(/ - (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$/, (x, d: string) =>
            Math.abs(Date.parse(d.replace(' ', 'T')) - Date.now()) < 3_600_000 ? ' - NOW' : x,
          );
          const key = `${m[3]!} ${m[1]!}`;
          by.set(key, [...(by.get(key) ?? []), `${key} ${m[2]!} ${msg}`]);
        }
        return [...by].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([, ls]) => ls);
      };
      const wantLog = jailLines('fail2ban');
      expect(wantLog.some((l) => l.includes('Found a match but no valid date/time found'))).toBe(true);
      expect(wantLog.some((l) => / fail2ban\.actions NOTICE Ban /.test(l))).toBe(true);
      expect(jailLines('logjail')).toEqual(wantLog);
    } finally {
      spawnSync(F2B_CLIENT, ['-c', `${theirs.conf}-rec`, 'stop'], { timeout: 30_000 });
      spawnSync(process.execPath, [CLI, 'client', '-c', `${ours.conf}-rec`, 'stop'], { timeout: 30_000 });
      killForked({ pid: `${ours.pid}-rec`, conf: `${ours.conf}-rec` });
    }
  }, 180_000);
});

if (!ready) it.skip(`daemon differential needs the build, ${F2B_CLIENT} and the corpus at ${CORPUS}`, () => {});
