import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { built, daemonRoots, waitFor, type DaemonRoot } from './harness.js';

/**
 * A repeat offender with bantime.increment, as fail2ban 1.0.2 handles it on the same config
 * (compared side by side): the tags its actions see, the bantimes chosen, the server log.
 */
const root = daemonRoots();

const jailStarted = (d: DaemonRoot): Promise<void> =>
  waitFor(() => readFileSync(d.serverLog, 'utf8').includes("Jail 'test' started"), 10_000, 'jail started');

const bans = (d: DaemonRoot): string[] => d.records().filter((l) => l.startsWith('+'));

describe.skipIf(!built())('bantime.increment', () => {
  it('gives actions the ban count and the merged history of the address, as fail2ban 1.0.2', async () => {
    const d = root({ jail: { bantime: '2', maxretry: '3', 'bantime.increment': 'true', 'bantime.factor': '2', action: 'tags' } });
    d.writeConf(
      'action.d/tags.conf',
      [
        '[Definition]',
        `actionban = printf '%%s\\n' "+<ip> bt=<bantime> bc=<bancount> f=<failures> ipf=<ipfailures> ipjf=<ipjailfailures> n=$(printf '%%s\\n' "<ipmatches>" | wc -l)" >> <target>`,
        'actionunban = echo "-<ip> bc=<bancount>" >> <target>',
        '[Init]',
        `target = ${d.record}`,
        '',
      ].join('\n'),
    );
    await d.start();
    await jailStarted(d);
    d.fail('192.0.2.50', 3);
    await waitFor(() => bans(d).length === 1, 5000, 'first ban');
    expect(bans(d)).toEqual(['+192.0.2.50 bt=2 bc=1 f=3 ipf=3 ipjf=3 n=3']);
    await waitFor(() => d.records().includes('-192.0.2.50 bc=1'), 8000, 'unban');
    // a known bad address: its first new failure counts 2^1/2+1 = 2 (and twice as a failure),
    // the next one reaches maxretry by itself
    d.fail('192.0.2.50', 2);
    await waitFor(() => bans(d).length === 2, 5000, 'second ban');
    expect(bans(d)[1]).toBe('+192.0.2.50 bt=8 bc=2 f=3 ipf=6 ipjf=6 n=5');
    expect(d.client(['status', 'test']).stdout).toContain('Total failed:\t6\n');
    const log = readFileSync(d.serverLog, 'utf8');
    const at = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`;
    expect(log).toMatch(new RegExp(String.raw`fail2ban\.observer +\[\d+\]: INFO    \[test\] Found 192\.0\.2\.50, bad - ${at}, 1 # -> 2\.0\n`));
    expect(log).toMatch(new RegExp(String.raw`fail2ban\.observer +\[\d+\]: INFO    \[test\] IP 192\.0\.2\.50 is bad: 1 # last ${at} - incr 2s to 8s\n`));
    expect(log).toMatch(new RegExp(String.raw`fail2ban\.observer +\[\d+\]: NOTICE  \[test\] Increase Ban 192\.0\.2\.50 \(2 # 8s -> ${at}\)\n`));
    // a repeat `banip` while banned does not stretch the increased ban (1.0.2: "already banned")
    const before = d.client(['get', 'test', 'banip', '--with-time']).stdout;
    await new Promise((r) => setTimeout(r, 1100));
    expect(d.client(['set', 'test', 'banip', '192.0.2.50']).stdout).toBe('0\n');
    expect(d.client(['get', 'test', 'banip', '--with-time']).stdout).toBe(before);
  });
});
