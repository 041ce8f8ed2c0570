import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { built, CLI } from './harness.js';

/**
 * A hand-written, minimal config (a fail2ban.conf with only its socket, jails without filter,
 * action, backend or `enabled`): fail2ban 1.0.2's client names every default its reader takes
 * and each jail without filter or action. Ours must say the same, for any command (the early
 * options) and for -t/-d (all of them).
 */
const F2B_CLIENT = '/usr/bin/fail2ban-client';
const STOCK = '/etc/fail2ban';
const ready = built() && existsSync(F2B_CLIENT) && existsSync(join(STOCK, 'filter.d/sshd.conf'));

describe.skipIf(!ready)("reader warnings on a minimal config, as fail2ban-client 1.0.2's", () => {
  const dir = mkdtempSync(join(tmpdir(), 'logjail-rw-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(join(dir, 'filter.d'));
  mkdirSync(join(dir, 'action.d'));
  for (const f of ['filter.d/sshd.conf', 'filter.d/common.conf', 'action.d/dummy.conf']) copyFileSync(join(STOCK, f), join(dir, f));
  const log = join(dir, 'a.log');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'fail2ban.conf'), `[Definition]\nsocket = ${join(dir, 'sock')}\n`);
  writeFileSync(
    join(dir, 'jail.conf'),
    `[nofilter]\nenabled = true\nlogpath = ${log}\nbackend = polling\n` +
      `[noaction]\nenabled = true\nfilter = sshd\nlogpath = ${log}\n` +
      `[off]\nlogpath = ${log}\n` +
      `[full]\nenabled = true\nfilter = sshd\naction = dummy\nbackend = polling\nlogpath = ${log}\n`,
  );
  /** stderr without times and pids; the default pid file is ours by design (README). */
  const warnings = (argv: string[]): string[] => {
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
    return r.stderr
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.slice(24).replace(/ \[\d+\]:/, ':'))
      .map((l) => l.replace(/'(\/var\/run\/fail2ban\/fail2ban|\/run\/logjail\/logjail)\.pid'/, "'PIDFILE'"));
  };
  for (const args of [['-t'], ['-d'], ['ping']]) {
    it(`${args.join(' ')}: the same warnings`, () => {
      const want = warnings([F2B_CLIENT, '-c', dir, ...args]);
      expect(want.some((l) => l.includes('No filter set for jail nofilter'))).toBe(args[0] !== 'ping');
      expect(want.some((l) => l.includes("'pidfile' not defined in 'Definition'"))).toBe(true);
      expect(warnings([process.execPath, CLI, 'client', '-c', dir, ...args])).toEqual(want);
    });
  }
});

if (!ready) it.skip(`reader warnings need the build, ${F2B_CLIENT} and ${STOCK}`, () => {});
