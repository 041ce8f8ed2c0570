import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CommandAction, type CommandActionDeps } from './command-action.js';
import { actionFromText, captureLog, jailStub, tempDir, ticket } from './test-helpers.js';

const root = tempDir('lj-cmdact-');
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let dir = '';
let n = 0;
beforeEach(() => {
  dir = join(root, String(++n));
  mkdirSync(dir);
});

const lines = (f = 'log'): string[] => {
  const p = join(dir, f);
  return existsSync(p) ? readFileSync(p, 'utf8').trim().split('\n').filter(Boolean) : [];
};

function make(text: string, params: Record<string, string> = {}, deps: Partial<CommandActionDeps> = {}) {
  const log = captureLog();
  const def = actionFromText(text.replaceAll('@DIR@', dir), { actname: 'act', ...params });
  const act = new CommandAction(def, { jail: jailStub(), logger: log.logger, ...deps });
  return { act, log: log.lines, from: log.from };
}

const FAMILY_ACTION = `
[Definition]
actionstart = echo "start <family> <set>" >> @DIR@/log
actionstop = echo "stop <family> <set>" >> @DIR@/log
actionban = echo "ban <ip> <family> <set>" >> @DIR@/log
actionunban = echo "unban <ip> <family> <set>" >> @DIR@/log
actionflush = echo "flush <set>" >> @DIR@/log
actionreload = echo "reload <set>" >> @DIR@/log
[Init]
set = v4-<name>
[Init?family=inet6]
set = v6-<name>
`;

const PLAIN_ACTION = `
[Definition]
actionstart = echo "start" >> @DIR@/log
actionstop = echo "stop" >> @DIR@/log
actionban = echo "ban <ip> <family>" >> @DIR@/log
actionunban = echo "unban <ip>" >> @DIR@/log
`;

const v4 = ticket({ id: '192.0.2.1' });
const v6 = ticket({ id: '2001:db8::1' });

describe('start on demand per family', () => {
  it('starts a family on its first ticket and stops only started families', async () => {
    const { act } = make(FAMILY_ACTION, { name: 'sshd' });
    expect(act.startOnDemand).toBe(true);
    await act.start();
    expect(lines()).toEqual([]);
    expect(await act.ban(v4)).toBe(true);
    expect(await act.ban(ticket({ id: '192.0.2.2' }))).toBe(true);
    expect(lines()).toEqual([
      'start inet4 v4-sshd',
      'ban 192.0.2.1 inet4 v4-sshd',
      'ban 192.0.2.2 inet4 v4-sshd',
    ]);
    await act.stop();
    expect(lines().slice(3)).toEqual(['stop inet4 v4-sshd']);
  });

  it('runs each family with its own conditional values', async () => {
    const { act } = make(FAMILY_ACTION, { name: 'sshd' });
    await act.ban(v4);
    await act.ban(v6);
    await act.unban(v6);
    await act.reload();
    await act.stop();
    expect(lines()).toEqual([
      'start inet4 v4-sshd',
      'ban 192.0.2.1 inet4 v4-sshd',
      'start inet6 v6-sshd',
      'ban 2001:db8::1 inet6 v6-sshd',
      'unban 2001:db8::1 inet6 v6-sshd',
      'reload v4-sshd',
      'reload v6-sshd',
      'stop inet4 v4-sshd',
      'stop inet6 v6-sshd',
    ]);
  });

  it('unbans only in families it banned', async () => {
    const { act } = make(FAMILY_ACTION);
    await act.ban(v4);
    expect(await act.unban(v6)).toBe(true);
    expect(lines().some((l) => l.startsWith('unban'))).toBe(false);
  });

  it('can be switched off: then both families start with the jail', async () => {
    const { act } = make(FAMILY_ACTION, { actionstart_on_demand: 'false' });
    await act.start();
    expect(lines()).toEqual(['start inet4 v4-test', 'start inet6 v6-test']);
  });

  it('plain actions start once, and identical commands are not repeated per family', async () => {
    const { act } = make(PLAIN_ACTION);
    expect(act.startOnDemand).toBe(false);
    await act.start();
    await act.ban(v4);
    await act.ban(v6);
    await act.stop();
    expect(lines()).toEqual(['start', 'ban 192.0.2.1 inet4', 'ban 2001:db8::1 inet6', 'stop']);
    await act.stop(); // nothing started any more
    expect(lines()).toHaveLength(4);
  });

  it("a failed on-demand start fails the ban with fail2ban's message", async () => {
    const { act, log } = make(FAMILY_ACTION.replace('actionstart = echo', 'actionstart = false && echo'));
    expect(await act.ban(v4)).toBe(false);
    expect(
      log.some(
        (l) =>
          l.includes("Failed to execute ban jail 'test' action 'act' info") &&
          l.includes('Error starting action'),
      ),
    ).toBe(true);
    expect(lines()).toEqual([]);
  });
});

describe('flush, reload, prolong, norestored', () => {
  it('flushes families with bans and then skips their unbans', async () => {
    const { act } = make(FAMILY_ACTION);
    await act.ban(v4);
    expect(await act.flush()).toBe(true);
    expect(await act.unban(v4)).toBe(true);
    expect(lines()).toEqual(['start inet4 v4-test', 'ban 192.0.2.1 inet4 v4-test', 'flush v4-test']);
  });

  it('reports flush as unsupported or failed with false', async () => {
    expect(await make(PLAIN_ACTION).act.flush()).toBe(false);
    const { act, log } = make(FAMILY_ACTION.replace('actionflush = echo', 'actionflush = false && echo'));
    await act.ban(v4);
    expect(await act.flush()).toBe(false);
    expect(log).toContain(
      "ERROR Failed to flush bans in jail 'test' action 'act': Error flushing action Jail('test')/act: 'Script error'",
    );
  });

  it('after a server that did not stop: each family flushes (quietly) before it starts, once', async () => {
    const { act, log } = make(FAMILY_ACTION, { name: 'sshd' });
    act.expectLeftovers();
    await act.start();
    await act.ban(v4);
    await act.ban(ticket({ id: '192.0.2.2' }));
    await act.ban(v6);
    expect(lines()).toEqual([
      'flush v4-sshd',
      'start inet4 v4-sshd',
      'ban 192.0.2.1 inet4 v4-sshd',
      'ban 192.0.2.2 inet4 v4-sshd',
      'flush v6-sshd',
      'start inet6 v6-sshd',
      'ban 2001:db8::1 inet6 v6-sshd',
    ]);
    // nothing left to flush (its chain is gone): no error, and the start goes on
    const failing = make(FAMILY_ACTION.replace('actionflush = echo', 'actionflush = false && echo'), { actionstart_on_demand: 'false' });
    failing.act.expectLeftovers();
    await failing.act.start();
    expect(lines().slice(-2)).toEqual(['start inet4 v4-test', 'start inet6 v6-test']);
    expect([...log, ...failing.log].filter((l) => l.startsWith('ERROR'))).toEqual([]);
    // a plain action without actionflush: nothing runs for it
    const plain = make(PLAIN_ACTION);
    plain.act.expectLeftovers();
    await plain.act.start();
    expect(lines().slice(-1)).toEqual(['start']);
  });

  it('runs actionprolong when present', async () => {
    const { act } = make(`${PLAIN_ACTION}actionprolong = echo "prolong <ip> <bantime>" >> @DIR@/log\n`);
    expect(await act.prolong(ticket({ id: '192.0.2.3', bantime: 1200 }))).toBe(true);
    expect(lines()).toEqual(['prolong 192.0.2.3 1200']);
    expect(await make(PLAIN_ACTION).act.prolong(v4)).toBe(true);
  });

  it('norestored skips restored tickets only', async () => {
    const { act } = make(`${PLAIN_ACTION}norestored = 1\n`);
    expect(act.norestored).toBe(true);
    expect(await act.ban(ticket({ id: '192.0.2.8', restored: true }))).toBe(true);
    expect(await act.ban(ticket({ id: '192.0.2.9' }))).toBe(true);
    expect(lines()).toEqual(['ban 192.0.2.9 inet4']);
  });

  it('reban uses actionreban, defaulting to actionban', async () => {
    await make(PLAIN_ACTION).act.reban(v4);
    const { act } = make(`${PLAIN_ACTION}actionreban = echo "reban <ip>" >> @DIR@/log\n`);
    await act.reban(v4);
    expect(lines()).toEqual(['ban 192.0.2.1 inet4', 'reban 192.0.2.1']);
  });
});

describe('check, repair and retry', () => {
  const CHECKED = `
[Definition]
actionstart = touch @DIR@/state; echo start >> @DIR@/log
actionstop = rm -f @DIR@/state; echo stop >> @DIR@/log
actioncheck = test -f @DIR@/state
actionban = test -f @DIR@/state && echo "ban <ip>" >> @DIR@/log
actionunban = test -f @DIR@/state && echo "unban <ip>" >> @DIR@/log
`;

  it('repairs with actionrepair and retries once', async () => {
    const { act, log } = make(`${CHECKED}actionrepair = touch @DIR@/state; echo repair >> @DIR@/log\n`);
    await act.start();
    rmSync(join(dir, 'state'));
    expect(await act.ban(v4)).toBe(true);
    expect(lines()).toEqual(['start', 'repair', 'ban 192.0.2.1']);
    expect(log).toContain('ERROR Invariant check failed. Trying to restore a sane environment');
    expect(act.banEpoch).toBe(1);
  });

  it('restarts (stop + start) when there is no actionrepair', async () => {
    const { act } = make(CHECKED);
    await act.start();
    rmSync(join(dir, 'state'));
    expect(await act.ban(v4)).toBe(true);
    expect(lines()).toEqual(['start', 'stop', 'start', 'ban 192.0.2.1']);
    expect(act.banEpoch).toBe(1);
  });

  it('gives up when the repair fails', async () => {
    const { act, log } = make(`${CHECKED}actionrepair = false\n`);
    await act.start();
    rmSync(join(dir, 'state'));
    expect(await act.ban(v4)).toBe(false);
    expect(log).toContain('CRITICAL Unable to restore environment');
    expect(
      log.some((l) =>
        /^ERROR Failed to execute ban jail 'test' action 'act' info 'ActionInfo\(\{'ip': '192\.0\.2\.1'.*\}\)': Error banning 192\.0\.2\.1$/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(log.some((l) => / -- returned 1$/.test(l))).toBe(true);
  });

  it('does not repair for a failed unban unless actionrepair_on_unban', async () => {
    const { act, log } = make(`${CHECKED}actionrepair = touch @DIR@/state; echo repair >> @DIR@/log\n`);
    await act.start();
    await act.ban(v4);
    rmSync(join(dir, 'state'));
    expect(await act.unban(v4)).toBe(false);
    expect(log).toContain('ERROR Invariant check failed. Unban is impossible.');
    const { act: act2 } = make(
      `${CHECKED}actionrepair = touch @DIR@/state; echo repair >> @DIR@/log\nactionrepair_on_unban = 1\n`,
    );
    await act2.start();
    await act2.ban(v4);
    rmSync(join(dir, 'state'));
    expect(await act2.unban(v4)).toBe(true);
    expect(lines().slice(-2)).toEqual(['repair', 'unban 192.0.2.1']);
  });

  it('logs as fail2ban names its loggers: commands under utils, the invariant check under CommandAction', async () => {
    const { act, from } = make(`${CHECKED}actionrepair = false\n`);
    await act.start();
    rmSync(join(dir, 'state'));
    await act.ban(v4);
    const loggers = from.map((l) => l.replace(/ [0-9a-f]{12} -- .*| (?:Invariant|Unable|Failed) .*/, ''));
    expect(loggers).toEqual([
      ...Array<string>(2).fill('utils ERROR'), // actionban: exec, returned
      ...Array<string>(2).fill('utils ERROR'), // actioncheck
      'CommandAction ERROR',
      ...Array<string>(2).fill('utils ERROR'), // actionrepair
      'CommandAction CRITICAL',
      'actions ERROR', // Failed to execute ban
    ]);
  });

  it('consistencyCheck after a failed flush: repairs started families, or only reports when refused', async () => {
    const REPAIRED = `${CHECKED}actionrepair = touch @DIR@/state; echo repair >> @DIR@/log\n`;
    const { act, from } = make(REPAIRED);
    // nothing started: nothing to check
    expect(await act.consistencyCheck(() => true)).toBe(true);
    await act.start();
    rmSync(join(dir, 'state'));
    const asked: boolean[] = [];
    expect(
      await act.consistencyCheck((onUnban) => {
        asked.push(onUnban);
        return false;
      }),
    ).toBe(true);
    expect(asked).toEqual([false]);
    expect(lines()).toEqual(['start']);
    expect(await act.consistencyCheck(() => true)).toBe(true);
    expect(lines()).toEqual(['start', 'repair']);
    expect(from).toContain(
      'CommandAction ERROR Invariant check failed. Trying to restore a sane environment',
    );
    // a failed repair: the family counts as stopped
    const { act: broken } = make(`${CHECKED}actionrepair = false\n`);
    await broken.start();
    rmSync(join(dir, 'state'));
    expect(await broken.consistencyCheck(() => true)).toBe(false);
    expect(broken.startedFamilies()).toEqual([]);
  });

  it('without actioncheck a failing command is simply retried once', async () => {
    const { act } = make(
      `[Definition]\nactionban = echo try >> @DIR@/log; test -f @DIR@/once || { touch @DIR@/once; false; }\n`,
    );
    expect(await act.ban(v4)).toBe(true);
    expect(lines()).toEqual(['try', 'try']);
    const { act: never } = make(`[Definition]\nactionban = echo fail >> @DIR@/fails; false\n`);
    expect(await never.ban(v4)).toBe(false);
    expect(lines('fails')).toHaveLength(2);
  });
});

describe('execution details', () => {
  it('kills a command after the action timeout', async () => {
    const { act, log } = make(`[Definition]\nactionban = sleep 100\n[Init]\ntimeout = 0.3\n`);
    expect(act.timeout).toBe(0.3);
    expect(await act.ban(v4)).toBe(false);
    expect(log.some((l) => l.endsWith('-- timed out after 0.3 seconds.'))).toBe(true);
  });

  it('logs stdout/stderr of a failing command like fail2ban', async () => {
    const { act, log } = make(
      `[Definition]\nactionban = echo to-out; echo "it's bad" >&2; echo >&2; echo x >&2; exit 4\n`,
    );
    expect(await act.ban(v4)).toBe(false);
    expect(log.some((l) => /^ERROR [0-9a-f]{12} -- stdout: 'to-out'$/.test(l))).toBe(true);
    // Python's repr: double quotes around a single quote; an empty line inside is a line
    expect(log.some((l) => /^ERROR [0-9a-f]{12} -- stderr: "it's bad"$/.test(l))).toBe(true);
    expect(log.some((l) => /^ERROR [0-9a-f]{12} -- stderr: ''$/.test(l))).toBe(true);
    expect(log.some((l) => /^ERROR [0-9a-f]{12} -- returned 4$/.test(l))).toBe(true);
  });

  it('keeps ban/unban order per action even when commands take different times', async () => {
    const { act } = make(
      `[Definition]\nactionban = sleep 0.05; echo "ban <ip>" >> @DIR@/log\nactionunban = echo "unban <ip>" >> @DIR@/log\n`,
    );
    const all = [act.ban(v4), act.unban(v4), act.ban(v4), act.unban(v4), act.ban(v6), act.unban(v6)];
    expect(await Promise.all(all)).toEqual([true, true, true, true, true, true]);
    expect(lines()).toEqual([
      'ban 192.0.2.1',
      'unban 192.0.2.1',
      'ban 192.0.2.1',
      'unban 192.0.2.1',
      'ban 2001:db8::1',
      'unban 2001:db8::1',
    ]);
  });

  it('fills every dynamic tag', async () => {
    const cmd = [
      'ip=<ip> fam=<family> rev=<ip-rev> host=<ip-host> fid=<fid> fail=<failures> time=<time> bt=<bantime> bc=<bancount>',
      'rest=<restored> user=<F-USER> none=[<F-NONE>] ipf=<ipfailures> ipjf=<ipjailfailures>',
      'jail=<jail.name> b=<jail.banned> bt=<jail.banned_total> f=<jail.found> ft=<jail.found_total> fq=<fq-hostname> sh=<sh-hostname>',
    ].join(' ');
    const { act } = make(
      `[Definition]\nactionban = printf '%s\\n' "${cmd}" "<matches>" "<ipjailmatches>" "<raw-ticket>" > @DIR@/log\n`,
      {},
      {
        lookups: {
          hostname: (ip) => Promise.resolve(`host-of-${ip}`),
          fqdn: () => Promise.resolve('box.example.org'),
          ipInfo: (_t, jailOnly) =>
            Promise.resolve({ matches: jailOnly ? ['j1', 'j2'] : ['a1'], failures: jailOnly ? 7 : 11 }),
        },
      },
    );
    const t = ticket({
      id: '192.0.2.10',
      failures: 4,
      time: 1_700_000_123,
      bantime: 3600,
      banCount: 2, // two earlier bans: <bancount> counts this one too, as fail2ban does
      fields: { user: 'alice' },
      matches: ['line one', 'line two'],
    });
    expect(await act.ban(t)).toBe(true);
    const out = lines();
    expect(out[0]).toMatch(
      /^ip=192\.0\.2\.10 fam=inet4 rev=10\.2\.0\.192\. host=host-of-192\.0\.2\.10 fid=192\.0\.2\.10 fail=4 time=1700000123\.0 bt=3600 bc=3 rest=0 user=alice none=\[\] ipf=11 ipjf=7 jail=test b=2 bt=5 f=1 ft=9 fq=box\.example\.org sh=\S+$/,
    );
    expect(out.slice(1, 5)).toEqual(['line one', 'line two', 'j1', 'j2']);
    expect(out[5]).toBe(
      "BanTicket: ip=192.0.2.10 time=1700000123.0 bantime=3600 bancount=3 #attempts=4 matches=['line one', 'line two']",
    );
  });

  it('gives a restored ban its stored integer <time> and bancount, as 1.0.2 reads them from its database', async () => {
    const { act } = make(`[Definition]\nactionban = echo "<time> <restored> <bancount>" >> @DIR@/log\n`);
    await act.ban(ticket({ id: '192.0.2.11', time: 1_796_335_366, restored: true, banCount: 1 }));
    await act.ban(ticket({ id: '192.0.2.12', time: 1_796_335_366 }));
    expect(lines()).toEqual(['1796335366 1 2', '1796335366.0 0 1']);
  });

  it('gives start/stop a pseudo-ticket: family and time set, ticket tags empty', async () => {
    const { act } = make(`[Definition]\nactionstart = echo "[<ip>] <family> <jail.name>" >> @DIR@/log\n`);
    await act.start();
    expect(lines()).toEqual(['[] inet4 test']);
  });

  it('computes <ip-rev> for IPv6', async () => {
    const { act } = make(`[Definition]\nactionban = echo <ip-rev> >> @DIR@/log\n`);
    await act.ban(ticket({ id: '2001:db8::1' }));
    expect(lines()).toEqual(['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.']);
  });

  it('reports bad definitions instead of throwing', async () => {
    const { act, log } = make(`[Definition]\nactionban = <a>\na = <b>\nb = <a>\n`);
    expect(await act.ban(v4)).toBe(false);
    expect(log.some((l) => l.includes('refers to itself'))).toBe(true);
  });
});
