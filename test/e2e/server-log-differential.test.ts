import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killForked, sleep } from './daemon-tools.js';
import { built, CLI } from './harness.js';

/**
 * The server log through a jail's whole life, Debian's fail2ban 1.0.2 against ours on the same
 * config: start (daemon, observer, database, every jail set up before any starts), bans, stop
 * (every jail's logs removed before the actions flush), a restart that restores the bans,
 * dellogpath/addlogpath, stopping one jail, a reload that brings it back, and the final stop.
 * fail2ban's action threads log beside its main thread, so their lines are compared per jail,
 * everything else in order.
 */
const F2B_CLIENT = '/usr/bin/fail2ban-client';
const STOCK = '/etc/fail2ban';
const ready =
  built() && existsSync(F2B_CLIENT) && ['filter.d/sshd.conf', 'filter.d/common.conf', 'action.d/dummy.conf'].every((f) => existsSync(join(STOCK, f)));

describe.skipIf(!ready)('server log differential: a jail\'s life, fail2ban-server 1.0.2 vs logjail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logjail-sldiff-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the scenario with one client; returns its server log without times and pids. */
  const scenario = async (who: 'fail2ban' | 'logjail'): Promise<string[]> => {
    const root = join(dir, who);
    const conf = join(root, 'conf');
    for (const d of ['filter.d', 'action.d']) mkdirSync(join(conf, d), { recursive: true });
    for (const f of ['filter.d/sshd.conf', 'filter.d/common.conf', 'action.d/dummy.conf']) copyFileSync(join(STOCK, f), join(conf, f));
    const [a, b] = [join(root, 'a.log'), join(root, 'b.log')];
    writeFileSync(a, '');
    writeFileSync(b, '');
    writeFileSync(
      join(conf, 'jail.conf'),
      `[DEFAULT]\nbackend = polling\naction = dummy\nfilter = sshd\nignoreself = false\n` +
        `[sshd]\nenabled = true\nlogpath = ${a}\n[sshd2]\nenabled = true\nlogpath = ${b}\n`,
    );
    const log = join(root, 'server.log');
    writeFileSync(
      join(conf, 'fail2ban.conf'),
      `[Definition]\nloglevel = INFO\nlogtarget = ${log}\nsyslogsocket = auto\nsocket = ${join(root, 'sock')}\n` +
        `pidfile = ${join(root, 'pid')}\ndbfile = ${join(root, 'db')}\ndbpurgeage = 1d\nallowipv6 = auto\n`,
    );
    const client = (...args: string[]): void => {
      const argv = who === 'fail2ban' ? [F2B_CLIENT, '-c', conf, ...args] : [process.execPath, CLI, 'client', '-c', conf, ...args];
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${who} ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    };
    try {
      client('start');
      client('set', 'sshd', 'banip', '198.51.100.1');
      client('set', 'sshd2', 'banip', '198.51.100.2');
      await sleep(500);
      client('stop');
      client('start');
      await sleep(1000);
      client('set', 'sshd', 'dellogpath', a);
      client('set', 'sshd', 'addlogpath', a, 'tail');
      client('stop', 'sshd2');
      client('reload');
      await sleep(1000);
      client('stop');
    } finally {
      if (who === 'logjail') killForked({ pid: join(root, 'pid'), conf });
    }
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.replace(/^\S+ \S+ /, '').replace(/ \[\d+\]:/, ':').replaceAll(root, 'ROOT'))
      .map((l) => l.replace('Starting logjail (fail2ban 1.0.2 compatible)', 'Starting Fail2ban v1.0.2'));
  };

  it('the same lines: in order, and per jail for the action threads', async () => {
    const want = await scenario('fail2ban');
    const got = await scenario('logjail');
    const isAction = (l: string): boolean => l.startsWith('fail2ban.actions ');
    const main = (ls: string[]): string[] => ls.filter((l) => !isAction(l));
    const actions = (ls: string[], jail: string): string[] => ls.filter((l) => isAction(l) && l.includes(`[${jail}] `));
    // the scenario reaches what it is about
    for (const l of ['Observer start...', 'Shutdown in progress...', "Removed logfile: '", "Jail 'sshd' reloaded"])
      expect(want.some((x) => x.includes(l)), l).toBe(true);
    expect(actions(want, 'sshd').some((l) => l.endsWith('[sshd] Restore Ban 198.51.100.1'))).toBe(true);
    expect(main(got)).toEqual(main(want));
    for (const jail of ['sshd', 'sshd2']) expect(actions(got, jail)).toEqual(actions(want, jail));
    expect(got.length).toBe(want.length);
  }, 120_000);
});

if (!ready) it.skip(`server log differential needs the build, ${F2B_CLIENT} and ${STOCK}`, () => {});
