import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { askValue } from './daemon-tools.js';
import { built, daemonRoots, syslogNow, waitFor, type DaemonRoot } from './harness.js';

/**
 * Live edits through the client on the real daemon (anatomy §5.4): filter regexes, log paths,
 * a jail made by `add` and configured by `set`, action properties — the jail keeps running and a
 * rejected edit changes nothing.
 */
const root = daemonRoots();

const APP_RE = '^\\s*\\S+ myapp: bad login from <HOST>$';
const appLines = (ip: string, n: number): string =>
  Array.from({ length: n }, () => `${syslogNow()} host myapp: bad login from ${ip}\n`).join('');
const bans = (d: DaemonRoot): string[] => d.records().filter((l) => l.startsWith('+'));
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 700));
/** The file holds exactly `text` (false while it does not exist yet). */
const fileIs = (path: string, text: string): boolean => {
  try {
    return readFileSync(path, 'utf8') === text;
  } catch {
    return false;
  }
};

describe.skipIf(!built())('live edits', () => {
  it('addfailregex bans on lines only the new regex matches; delfailregex stops it; a bad regex changes nothing', async () => {
    const d = root();
    await d.start();
    appendFileSync(d.log, appLines('192.0.2.31', 3));
    await settle();
    expect(bans(d)).toEqual([]);

    const add = d.client(['set', 'test', 'addfailregex', APP_RE]);
    expect(add.status, add.stdout).toBe(0);
    expect(add.stdout).toMatch(
      /^The following regular expression are defined:\n\|- \[0\]: .*Failed password.*\n`- \[1\]: \^\\s\*\\S\+ myapp: bad login from \(\?:/,
    );
    appendFileSync(d.log, appLines('192.0.2.32', 3));
    await waitFor(() => bans(d).some((l) => l.startsWith('+192.0.2.32 ')), 15_000, 'ban by the added regex');
    // lines read before the edit stay uncounted
    expect(bans(d).map((l) => l.split(' ')[0])).toEqual(['+192.0.2.32']);

    // a bad regex: error naming the construct, the jail keeps its two regexes and keeps banning
    const bad = d.client(['set', 'test', 'addfailregex', '^myapp (unclosed <HOST>$']);
    expect(bad.status).toBe(255);
    expect(bad.stdout).toMatch(/missing \), unterminated subpattern/);
    expect(bad.stdout).toMatch(/\^myapp \(unclosed/);
    const noId = d.client(['set', 'test', 'addfailregex', '^no address here$']);
    expect(noId.status).toBe(255);
    expect(noId.stdout).toMatch(/No failure-id group .* '\^no address here\$'/);
    expect(
      d
        .client(['get', 'test', 'failregex'])
        .stdout.split('\n')
        .filter((l) => / \[\d+\]: /.test(l)),
    ).toHaveLength(2);
    appendFileSync(d.log, appLines('192.0.2.33', 3));
    await waitFor(
      () => bans(d).some((l) => l.startsWith('+192.0.2.33 ')),
      15_000,
      'still banning after a rejected edit',
    );

    const del = d.client(['set', 'test', 'delfailregex', '1']);
    expect(del).toMatchObject({ status: 0 });
    expect(del.stdout).toMatch(/^The following regular expression are defined:\n`- \[0\]: .*Failed password/);
    appendFileSync(d.log, appLines('192.0.2.34', 3));
    d.fail('192.0.2.35', 3); // the original regex still works
    await waitFor(
      () => bans(d).some((l) => l.startsWith('+192.0.2.35 ')),
      15_000,
      'ban by the original regex',
    );
    expect(bans(d).some((l) => l.startsWith('+192.0.2.34 '))).toBe(false);
    expect(d.client(['set', 'test', 'delfailregex', 'x']).stdout).toBe(
      "invalid literal for int() with base 10: 'x'\n",
    );
  }, 120_000);

  it('ignoreregex, maxlines, datepattern and usedns edits answer like fail2ban', async () => {
    const d = root();
    await d.start();
    const ign = d.client(['set', 'test', 'addignoreregex', 'for root from']);
    expect(ign.stdout).toBe('The following regular expression are defined:\n`- [0]: for root from\n');
    d.fail('192.0.2.40', 3, 'root');
    d.fail('192.0.2.41', 3, 'admin');
    await waitFor(
      () => bans(d).some((l) => l.startsWith('+192.0.2.41 ')),
      15_000,
      'ban of the non-ignored user',
    );
    expect(bans(d).some((l) => l.startsWith('+192.0.2.40 '))).toBe(false);
    expect(d.client(['set', 'test', 'delignoreregex', '0']).stdout).toBe(
      'No regular expression is defined\n',
    );
    expect(d.client(['set', 'test', 'maxlines', '0'])).toMatchObject({
      status: 255,
      stdout: 'maxlines must be integer greater than zero\n',
    });
    expect(d.client(['set', 'test', 'maxlines', '2']).stdout).toBe('2\n');
    expect(d.client(['set', 'test', 'datepattern', '%Y-%m-%d %H:%M:%S']).stdout).toBe(
      'Current date pattern set to: %Y-%m-%d %H:%M:%S (Year-Month-Day 24hour:Minute:Second)\n',
    );
    expect(d.client(['set', 'test', 'datepattern', 'Epoch']).stdout).toBe(
      'Current date pattern set to: Epoch\n',
    );
    expect(d.client(['set', 'test', 'datepattern', '%Q'])).toMatchObject({ status: 255 });
    expect(d.client(['set', 'test', 'datepattern', '']).stdout).toBe(
      'Current date pattern set to: Default Detectors\n',
    );
    expect(d.client(['get', 'test', 'datepattern']).stdout).toBe(
      'Current date pattern set to: Default Detectors\n',
    );
    expect(d.client(['set', 'test', 'usedns', 'bogus']).stdout).toBe('no\n');
    expect(d.client(['set', 'test', 'logtimezone', 'Mars/Base'])).toMatchObject({
      status: 255,
      stdout: "Unknown or unsupported time zone: 'Mars/Base'\n",
    });
    expect(d.client(['get', 'test', 'logtimezone']).stdout).toBe('None\n');
  }, 120_000);

  it('addlogpath follows a new file from its head (or tail); dellogpath stops reading it', async () => {
    const d = root();
    await d.start();
    const other = join(d.dir, 'other.log');
    const quiet = join(d.dir, 'quiet.log');
    const sshLine = (ip: string): string =>
      `${syslogNow()} host sshd[9]: Failed password for x from ${ip} port 22 ssh2\n`;
    writeFileSync(other, sshLine('192.0.2.50').repeat(3));
    writeFileSync(quiet, sshLine('192.0.2.51').repeat(3));
    const add = d.client(['set', 'test', 'addlogpath', other]);
    expect(add.stdout).toBe(`Current monitored log file(s):\n|- ${d.log}\n\`- ${other}\n`);
    await waitFor(
      () => bans(d).some((l) => l.startsWith('+192.0.2.50 ')),
      15_000,
      'ban from the head of the added file',
    );
    expect(d.client(['set', 'test', 'addlogpath', quiet, 'tail']).status).toBe(0);
    expect(d.client(['set', 'test', 'addlogpath', join(d.dir, 'missing.log')])).toMatchObject({
      status: 255,
      stdout: `[Errno 2] No such file or directory: '${join(d.dir, 'missing.log')}'\n`,
    });
    await settle();
    expect(bans(d).some((l) => l.startsWith('+192.0.2.51 '))).toBe(false);
    // the original file keeps its position: its old lines are not counted again
    d.fail('192.0.2.52', 2);
    await settle();
    expect(d.client(['set', 'test', 'dellogpath', other]).stdout).toBe(
      `Current monitored log file(s):\n|- ${d.log}\n\`- ${quiet}\n`,
    );
    appendFileSync(other, sshLine('192.0.2.53').repeat(3));
    d.fail('192.0.2.52', 1);
    await waitFor(
      () => bans(d).some((l) => l.startsWith('+192.0.2.52 ')),
      15_000,
      'third failure after the source was rebuilt',
    );
    await settle();
    expect(bans(d).some((l) => l.startsWith('+192.0.2.53 '))).toBe(false);
    expect(await askValue(d.sock, ['get', 'test', 'banip'])).toEqual(['192.0.2.50', '192.0.2.52']);
  }, 120_000);

  it('add + set + addaction + start: a jail built from commands bans through its action', async () => {
    const d = root();
    await d.start();
    const log = join(d.dir, 'app.log');
    const out = join(d.dir, 'app-actions.txt');
    writeFileSync(log, '');
    const run = (...args: string[]): string => {
      const r = d.client(args);
      expect(r.status, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      return r.stdout;
    };
    expect(run('add', 'app', 'polling')).toBe('Added jail app\n');
    expect(d.client(['add', 'app'])).toMatchObject({
      status: 255,
      stdout: "The jail 'app' already exists\n",
    });
    expect(d.client(['add', 'app2', 'gamma'])).toMatchObject({ status: 255 });
    expect(run('status')).toBe('Status\n|- Number of jail:\t2\n`- Jail list:\tapp, test\n');
    run('set', 'app', 'addfailregex', APP_RE);
    run('set', 'app', 'maxretry', '2');
    expect(run('set', 'app', 'addlogpath', log)).toBe(`Current monitored log file(s):\n\`- ${log}\n`);
    expect(run('set', 'app', 'addaction', 'rec')).toBe('rec\n');
    run('set', 'app', 'action', 'rec', 'actionban', `echo "ban <ip> <name>" >> ${out}`);
    run('set', 'app', 'action', 'rec', 'name', 'myapp');
    expect(run('get', 'app', 'action', 'rec', 'actionban')).toBe(`echo "ban <ip> <name>" >> ${out}\n`);
    expect(run('get', 'app', 'actions')).toBe('The jail app has the following actions:\nrec\n');
    expect(run('start', 'app')).toBe('Jail started\n');
    appendFileSync(log, appLines('192.0.2.60', 2));
    await waitFor(() => fileIs(out, 'ban 192.0.2.60 myapp\n'), 15_000, 'ban through the action built by commands');
    expect(run('set', 'app', 'delaction', 'rec')).toBe('None\n');
    expect(d.client(['set', 'app', 'delaction', 'rec'])).toMatchObject({
      status: 255,
      stdout: "'Invalid Action name: rec'\n",
    });
    expect(run('stop', 'app')).toBe('Jail stopped\n');
    expect(d.client(['start', 'nosuch'])).toMatchObject({
      status: 255,
      stdout: "Sorry but the jail 'nosuch' does not exist\n",
    });
  }, 120_000);

  it('get action shows commands with the config-level tags expanded; set action changes the running action', async () => {
    const d = root();
    await d.start();
    expect(d.client(['get', 'test', 'action', 'record', 'actionban']).stdout).toBe(
      `echo "+<ip> <bantime> <F-USER>" >> ${d.record}\n`,
    );
    expect(d.client(['get', 'test', 'action', 'record', 'target']).stdout).toBe(`${d.record}\n`);
    expect(d.client(['get', 'test', 'action', 'record', 'nope'])).toMatchObject({
      status: 255,
      stdout: "'CommandAction' object has no attribute 'nope'\n",
    });
    expect(d.client(['set', 'test', 'action', 'record', 'timeout', '2m']).stdout).toBe('120\n');
    const alt = join(d.dir, 'alt.txt');
    d.client(['set', 'test', 'action', 'record', 'actionban', `echo "alt <ip>" >> ${alt}`]);
    d.client(['set', 'test', 'banip', '192.0.2.70']);
    await waitFor(() => fileIs(alt, 'alt 192.0.2.70\n'), 15_000, 'ban with the changed command');
    // unban still runs: the action kept its state across the property change
    d.client(['set', 'test', 'unbanip', '192.0.2.70']);
    await waitFor(() => d.records().includes('-192.0.2.70'), 15_000, 'unban after set action');
  }, 120_000);

  it('multi-set: regex lists and action properties as the start-up stream sends them', async () => {
    const d = root();
    await d.start();
    // the stream's lists, straight on the socket (the client cannot type a list)
    const other = '^\\s*\\S+ other: denied <HOST>$';
    expect(await askValue(d.sock, ['multi-set', 'test', 'addfailregex', JSON.stringify([APP_RE, other])])).toBe(true);
    const regexes = d.client(['get', 'test', 'failregex']).stdout;
    expect(regexes).toContain('myapp: bad login from');
    expect(regexes).toContain('other: denied');
    const pairs = JSON.stringify([['name', 'renamed'], ['timeout', 90]]);
    expect(await askValue(d.sock, ['multi-set', 'test', 'action', 'record', pairs])).toBe(true);
    expect(d.client(['get', 'test', 'action', 'record', 'name']).stdout).toBe('renamed\n');
    // from the command line: one value
    expect(d.client(['multi-set', 'test', 'addignoreregex', 'bad login from 192\\.0\\.2\\.99']).stdout).toBe('True\n');
    appendFileSync(d.log, appLines('192.0.2.99', 3) + appLines('192.0.2.98', 3));
    await waitFor(() => bans(d).some((l) => l.startsWith('+192.0.2.98 ')), 10_000, 'ban via a multi-set regex');
    expect(bans(d).some((l) => l.startsWith('+192.0.2.99 '))).toBe(false);
  }, 60_000);

  it('action methods: run that action only and answer like fail2ban 1.0.2 (True / None / errors)', async () => {
    const d = root();
    await d.start();
    const call = (...args: string[]): { status: number | null; stdout: string } =>
      d.client(['set', 'test', 'action', 'record', ...args]);
    expect(call('ban', '{"aInfo": {"ip": "192.0.2.77", "failures": 4}}')).toMatchObject({ status: 0, stdout: 'None\n' });
    await waitFor(() => d.records().some((l) => l.startsWith('+192.0.2.77 600')), 10_000, 'ban by method call');
    // the jail's own ban list is not touched, as in fail2ban
    expect(d.client(['status', 'test']).stdout).toContain('Currently banned:\t0\n');
    expect(call('unban', '{"aInfo": {"ip": "192.0.2.77"}}').stdout).toBe('None\n');
    await waitFor(() => d.records().includes('-192.0.2.77'), 10_000, 'unban by method call');
    expect(call('stop').stdout).toBe('True\n');
    expect(call('start', '{}').stdout).toBe('True\n');
    expect(call('flush').stdout).toBe('True\n');
    expect(d.records().filter((l) => l === 'stop test' || l === 'start test')).toEqual(['start test', 'stop test', 'start test']);
    expect(call('ban')).toMatchObject({
      status: 255,
      stdout: "CommandAction.ban() missing 1 required positional argument: 'aInfo'\n",
    });
    expect(call('start', '{"x": 1}')).toMatchObject({
      status: 255,
      stdout: "CommandAction.start() got an unexpected keyword argument 'x'\n",
    });
    const nope = d.client(['set', 'test', 'action', 'nope', 'start']);
    expect(nope).toMatchObject({ status: 255, stdout: "'Invalid Action name: nope'\n" });
    // fail2ban's KeyError args, unquoted (was ("'Invalid Action name: nope'",))
    expect(nope.stderr).toContain("ERROR   NOK: ('Invalid Action name: nope',)\n");
    // still serving
    expect(d.client(['ping']).stdout).toContain('pong');
  }, 60_000);
});
