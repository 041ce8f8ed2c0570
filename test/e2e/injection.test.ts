import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForAsync } from './daemon-tools.js';
import { built, DaemonRoot, ROOT, syslogNow } from './harness.js';

/**
 * Hostile values from log lines — usernames and failure ids that are shell or mail(1) syntax —
 * travel through `<F-USER>`, `<matches>`, `<ip>` and `<fid>` into actions, `ignorecommand` and
 * the shipped mail-whois action (with a whois record that is itself hostile). The actions write
 * what they receive into files. Asserted: no marker file was created by any payload, and every
 * recorded value is byte-identical to what the log line held.
 *
 * `mail` is a stand-in that behaves like GNU mailutils: lines of its stdin starting with `~!`
 * are run by a shell unless it was started with `-E 'set escape'` (CVE-2021-32749).
 */
const roots: DaemonRoot[] = [];
const savedPath = process.env.PATH;
afterEach(async () => {
  process.env.PATH = savedPath;
  for (const r of roots.splice(0)) {
    await r.stop();
    r.cleanup();
  }
});

function payloads(marker: (n: number) => string): string[] {
  return [
    `$(touch ${marker(1)})`,
    `\`touch ${marker(2)}\``,
    `;touch ${marker(3)};`,
    `'; touch ${marker(4)}; '`,
    `~!touch ${marker(5)}`,
    `"; touch ${marker(6)}; "`,
    `$(touch\${IFS}${marker(7)})`,
    `|touch ${marker(8)}`,
    `&& touch ${marker(9)} #`,
    `a\\'b\\"c\\\\ $HOME <ip> <F-USER> %(x)s * ?`,
    `\x1b[31mred \u00e9\u{1F600} \\n`,
  ];
}

/** NUL-separated records → arrays of `width` fields. */
function records(path: string, width: number): string[][] {
  if (!existsSync(path)) return [];
  const parts = readFileSync(path, 'utf8').split('\0');
  parts.pop();
  const out: string[][] = [];
  for (let i = 0; i + width <= parts.length; i += width) out.push(parts.slice(i, i + width));
  return out;
}

/** Stand-ins for mail(1) and whois on PATH, and the project's shipped mail-whois action. */
function stubs(d: DaemonRoot, bin: string, mailDir: string, whoisText: string): void {
  d.writeConf(
    'action.d/mail-whois.conf',
    readFileSync(join(ROOT, 'config/action.d/mail-whois.conf'), 'utf8'),
  );
  mkdirSync(bin, { recursive: true });
  mkdirSync(mailDir, { recursive: true });
  writeFileSync(
    join(bin, 'mail'),
    `#!/bin/sh
n=$$
printf '%s\\0' "$@" > '${mailDir}'/mail.$n.args
cat > '${mailDir}'/mail.$n.body
escape=on
prev=
for a in "$@"; do
  if [ "$prev" = -E ] && [ "$a" = 'set escape' ]; then escape=off; fi
  prev=$a
done
if [ $escape = on ]; then
  grep '^~!' '${mailDir}'/mail.$n.body | while IFS= read -r l; do sh -c "\${l#'~!'}"; done
fi
exit 0
`,
  );
  writeFileSync(
    join(bin, 'whois'),
    `#!/bin/sh\nprintf '%s\\0' "$@" >> '${mailDir}/whois.args'\ncat <<'EOF'\n${whoisText}\nEOF\n`,
  );
  chmodSync(join(bin, 'mail'), 0o755);
  chmodSync(join(bin, 'whois'), 0o755);
}

describe.skipIf(!built())('hostile log values reach actions only as data', () => {
  it('F-USER, matches, ip and fid: no command runs, values arrive byte for byte', async () => {
    const d = new DaemonRoot();
    roots.push(d);
    const marker = (n: number): string => join(d.dir, `pwned-${n}`);
    const users = payloads(marker);
    const ids = payloads((n) => marker(100 + n));
    const bin = join(d.dir, 'bin');
    const mailDir = join(d.dir, 'mail');
    stubs(d, bin, mailDir, `% hostile whois record\n~!touch ${marker(200)}\n$(touch ${marker(201)})`);

    const userOut = join(d.dir, 'users.bin');
    const fidOut = join(d.dir, 'fids.bin');
    const ignOut = join(d.dir, 'ignore.bin');
    d.writeConf(
      'filter.d/hostile.conf',
      '[Definition]\nfailregex = ^\\s*\\S+ sshd\\[\\d+\\]: Failed password for <F-USER>.+</F-USER> from <HOST> port \\d+ ssh2$\n',
    );
    d.writeConf(
      'filter.d/hostid.conf',
      '[Definition]\nfailregex = ^\\s*\\S+ app\\[\\d+\\]: rejected id=<F-ID>.+</F-ID>$\n',
    );
    d.writeConf(
      'action.d/echoes.conf',
      [
        '[Definition]',
        // quoted, as a careful author writes it: recorded and compared byte for byte
        `actionban = printf '%%s\\0' "<ip>" "<fid>" "<F-USER>" "<matches>" >> <out>`,
        // unquoted, as a careless one does: may be mangled, must still not run anything
        '            printf "%%s\\n" <F-USER> <ip> <matches> >> <out>.unquoted',
        '            echo <F-USER> | cat >> <out>.unquoted',
        '[Init]',
        'out = /dev/null',
        '',
      ].join('\n'),
    );
    const fidLog = join(d.dir, 'app.log');
    writeFileSync(fidLog, '');
    // An `ignore` jail: ignorecommand sees the hostile ids; exit 1 = not ignored.
    d.writeConf(
      'jail.local',
      [
        '[test]',
        'filter = hostile',
        'maxretry = 1',
        `action = echoes[out="${userOut}"]`,
        '         mail-whois[dest="root@example.invalid"]',
        '',
        '[fid]',
        'enabled = true',
        'filter = hostid',
        `logpath = ${fidLog}`,
        'maxretry = 1',
        'ignoreself = false',
        `ignorecommand = printf '%%s\\0' "<ip>" "<fid>" >> ${ignOut}; exit 1`,
        `action = echoes[out="${fidOut}"]`,
        '         mail-whois[dest="root@example.invalid"]',
        '',
      ].join('\n'),
    );
    process.env.PATH = `${bin}:${savedPath ?? '/usr/bin:/bin'}`;
    await d.start();

    const userLines = users.map(
      (u, i) =>
        `${syslogNow()} host sshd[${100 + i}]: Failed password for ${u} from 192.0.2.${10 + i} port 22 ssh2`,
    );
    const idLines = ids.map((id, i) => `${syslogNow()} host app[${200 + i}]: rejected id=${id}`);
    writeFileSync(d.log, userLines.join('\n') + '\n');
    writeFileSync(fidLog, idLines.join('\n') + '\n');

    await waitForAsync(
      () => records(userOut, 4).length >= users.length && records(fidOut, 4).length >= ids.length,
      60_000,
      () =>
        `bans recorded: ${records(userOut, 4).length}/${users.length} users, ${records(fidOut, 4).length}/${ids.length} ids; server log:\n${readFileSync(d.serverLog, 'utf8').slice(-3000)}`,
    );
    // ban mails (one per ban, plus the start mails) have gone out
    const mails = (): number => readdirSync(mailDir).filter((f) => f.endsWith('.body')).length;
    await waitForAsync(
      () => mails() >= users.length + ids.length + 2,
      60_000,
      () => `mails: ${mails()}`,
    );
    await d.stop();

    const got = records(userOut, 4).sort((a, b) => a[0]!.localeCompare(b[0]!));
    expect(got).toEqual(
      users
        .map((u, i) => [`192.0.2.${10 + i}`, `192.0.2.${10 + i}`, u, userLines[i]])
        .sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    const fids = records(fidOut, 4);
    expect(new Set(fids.map((r) => JSON.stringify(r)))).toEqual(
      new Set(ids.map((id, i) => JSON.stringify([id, id, '', idLines[i]]))),
    );
    expect(new Set(records(ignOut, 2).map((r) => JSON.stringify(r)))).toEqual(
      new Set(ids.map((id) => JSON.stringify([id, id]))),
    );
    // whois was asked about the hostile ids as one argument each, and its record reached mail
    const whoisArgs = readFileSync(join(mailDir, 'whois.args'), 'utf8').split('\0').filter(Boolean);
    for (const id of ids) expect(whoisArgs).toContain(id);
    const bodies = readdirSync(mailDir)
      .filter((f) => f.endsWith('.body'))
      .map((f) => readFileSync(join(mailDir, f), 'utf8'));
    expect(bodies.filter((b) => b.includes(`\n~!touch ${marker(200)}\n`)).length).toBe(
      users.length + ids.length,
    );
    for (const f of readdirSync(mailDir).filter((x) => x.startsWith('mail.') && x.endsWith('.args')))
      expect(readFileSync(join(mailDir, f), 'utf8').split('\0').slice(0, 2)).toEqual(['-E', 'set escape']);

    const pwned = readdirSync(d.dir).filter((f) => f.startsWith('pwned-'));
    expect(pwned).toEqual([]);
  });

  it('the mail stand-in does run tilde escapes without -E (so the test above can fail)', async () => {
    const d = new DaemonRoot();
    roots.push(d);
    const bin = join(d.dir, 'bin');
    const mailDir = join(d.dir, 'mail');
    const marker = join(d.dir, 'pwned-control');
    stubs(d, bin, mailDir, `~!touch ${marker}`);
    d.writeConf('jail.local', '[test]\nmaxretry = 1\naction = mail-whois[mailcmd="mail -s", dest=root]\n');
    process.env.PATH = `${bin}:${savedPath ?? '/usr/bin:/bin'}`;
    await d.start();
    d.fail('192.0.2.77');
    await waitForAsync(() => existsSync(marker), 30_000, 'the unprotected mail ran the escape');
  });
});
