import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnText } from '../../test/compat/differential-run.js';
import { parseRegexArgs, regexMain } from './regex.js';

/**
 * Golden tests: the same arguments go to Debian's fail2ban-regex 1.0.2 (when installed; CI
 * installs it) and to ours, and the outputs must be byte-identical after normalize().
 */
const F2B = process.env.LOGJAIL_F2B_REGEX ?? '/usr/bin/fail2ban-regex';
const CONF = '/etc/fail2ban';
const haveF2b = existsSync(F2B) && existsSync(join(CONF, 'filter.d', 'sshd.conf'));
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = process.env.LOGJAIL_COMPAT_CORPUS ?? resolve(repoRoot, '..', 'shared', 'fail2ban-corpus');
const logs = join(corpus, 'tests', 'logs');
const haveCorpus = existsSync(join(logs, 'sshd'));

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs our tool in-process, capturing what it writes. */
async function ours(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => out.push(String(c)) > 0);
  process.stderr.write = ((c: string | Uint8Array) => err.push(String(c)) > 0);
  try {
    const code = await regexMain(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

const theirs = (args: string[]): Promise<Run> => spawnText(F2B, args);

/**
 * What may differ:
 * - `[processed in X sec]` (timing) and the `basedir:` path;
 * - the time and pid of `-l` log lines;
 * - the order inside Python sets (`'users': {…}`): Python's string hashing is randomised per
 *   process, so fail2ban itself is not reproducible there; both sides are sorted;
 * - one unused default date template is listed under master's name: our date detector follows
 *   master's `%ExY%Exm%Exd(?:-|T|  ?)%ExH:?%ExM:?%ExS` (it also reads `20050123-21:59:59`),
 *   1.0.2 has `%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS`; only `-v` lists it (with 0 hits).
 */
function normalize(s: string): string {
  return s
    .split('\n')
    .filter((l) => !/^\[processed in \d+\.\d\d sec\]$/.test(l))
    .join('\n')
    .replace(/, basedir: .*$/gm, ', basedir: <dir>')
    // -l log lines: time and pid are each process's own
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (fail2ban\.\S+ *)\[\d+\]:/gm, '<time> $1[<pid>]:')
    .replace(
      /'users': \{([^}]*)\}/g,
      (_m, items: string) => `'users': {${items.split(', ').sort().join(', ')}}`,
    )
    .replaceAll(
      'ExYearExMonthExDay(?:T|  ?)Ex24hourExMinuteExSecond',
      'ExYearExMonthExDay(?:-|T|  ?)Ex24hour:?ExMinute:?ExSecond',
    );
}

const SSH_LINE =
  'Jun 21 16:47:48 host sshd[1]: Failed password for invalid user admin from 192.0.2.1 port 22 ssh2';
const L = (name: string): string => join(logs, name);

/**
 * An MLFID session evicted by 101 newer ones, then its id seen again: fail2ban's session cache
 * (100 entries) starts it afresh, and `-o row` prints the new session's key order.
 */
const EVICTED = join(mkdtempSync(join(tmpdir(), 'lj-regex-')), 'evicted.log');
writeFileSync(
  EVICTED,
  [
    'Sep 17 00:00:01 srv1 sshd[1000]: Invalid user bob from 192.0.2.1 port 4001',
    ...Array.from(
      { length: 101 },
      (_, i) => `Sep 17 00:01:${String(i % 60).padStart(2, '0')} srv1 sshd[${String(2000 + i)}]: Failed password for root from 198.51.100.${String(i + 1)} port 22 ssh2`,
    ),
    'Sep 17 00:03:20 srv1 sshd[1000]: Failed password for invalid user alice from 192.0.2.1 port 4001 ssh2',
    'Sep 17 00:03:21 srv1 sshd[3000]: Invalid user carol from 192.0.2.3 port 4003',
    'Sep 17 00:03:22 srv1 sshd[3000]: Failed password for invalid user dave from 192.0.2.3 port 4003 ssh2',
  ].join('\n') + '\n',
);

/** sshd lines whose user names hold bytes 0x80-0xFF (single-byte encodings read them differently). */
const BYTES_LOG = join(mkdtempSync(join(tmpdir(), 'lj-regex-')), 'latin1.log');
writeFileSync(
  BYTES_LOG,
  Buffer.from(
    ['jos\xe9', 'm\x80x\x9fy', 'caf\xe9\xe8', 'plain', '\xc1\xe1z']
      .map((u, i) => `Jun 21 16:47:0${String(i)} host sshd[${String(100 + i)}]: Failed password for invalid user ${u} from 192.0.2.${String(i + 1)} port 22 ssh2\n`)
      .join(''),
    'latin1',
  ),
);

/** Failures from IPv6 forms with an IPv4 part: fail2ban writes them as glibc's inet_ntop does. */
const V6_LOG = join(mkdtempSync(join(tmpdir(), 'lj-regex-')), 'v6.log');
writeFileSync(
  V6_LOG,
  ['::1.2.3.4', '::FFFF:1.2.3.4', '::ffff:1.2.3.4', '64:ff9b::1.2.3.4', '::0:1.2.3.4', '::127.0.0.1', '[::1.2.3.4]', '::ffff:7f00:1']
    .map((a, i) => `Jun 21 16:47:0${String(i)} host sshd[1]: Failed password for root from ${a} port 22 ssh2\n`)
    .join(''),
);

/**
 * [title, arguments]; every case runs with `-c /etc/fail2ban`. Logs with host names use `-r`
 * (or `--usedns no`): by default both tools resolve them through DNS, which makes the counts
 * depend on the network (both drop a name that does not resolve, as fail2ban does).
 */
const CASES: [string, string[]][] = [
  ['sshd corpus, raw hosts', ['-r', L('sshd'), 'sshd']],
  ['sshd corpus, usedns no', ['--usedns', 'no', L('sshd'), 'sshd']],
  ['sshd corpus, aggressive mode', ['-r', L('sshd'), 'sshd[mode=aggressive]']],
  ['sshd corpus, filter file path', ['-r', L('sshd'), join(CONF, 'filter.d', 'sshd.conf')]],
  ['dovecot corpus', ['-r', L('dovecot'), 'dovecot']],
  ['postfix corpus', ['-r', L('postfix'), 'postfix']],
  ['literal line, filter', [SSH_LINE, 'sshd']],
  ['literal line, literal regex', [SSH_LINE, 'for (?:invalid user )?<F-USER>\\S+</F-USER> from <HOST>']],
  ['literal line, -v', ['-v', SSH_LINE, 'sshd']],
  [
    'multi-line literal log',
    [`${SSH_LINE}\n${SSH_LINE.replace('192.0.2.1', '192.0.2.9')}\nno date here`, 'sshd'],
  ],
  ['-v on the sshd corpus', ['-r', '-v', L('sshd'), 'sshd']],
  ['--print-all-matched', ['-r', '--print-all-matched', L('sshd'), 'sshd']],
  ['--print-all-missed and -ignored', ['-r', '--print-all-missed', '--print-all-ignored', L('sshd'), 'sshd']],
  [
    '--print-no-missed/--print-no-ignored',
    ['-r', '--print-no-missed', '--print-no-ignored', L('sshd'), 'sshd'],
  ],
  ['-o row', ['-r', '-o', 'row', L('sshd'), 'sshd']],
  ['-o row, dovecot (alt groups, TAI64N)', ['-r', '-o', 'row', L('dovecot'), 'dovecot']],
  ['-o row, an MLFID session evicted and begun again', ['-r', '-o', 'row', EVICTED, 'sshd']],
  ['-o ip', ['-r', '-o', 'ip', L('sshd'), 'sshd']],
  ['-o id', ['-r', '-o', 'id', L('sshd'), 'sshd']],
  ['-o msg', ['-r', '-o', 'msg', L('sshd'), 'sshd']],
  ['-o user', ['-r', '-o', 'user', L('sshd'), 'sshd']],
  ['-o template', ['-r', '-o', '<ip> <F-USER>', L('sshd'), 'sshd']],
  [
    '-o template, more tags',
    ['-r', '-o', '<fid>|<time>|<msg>|<F-MLFID>|<family>|<ip-rev>|<F-NOPE>|<x>', L('sshd'), 'sshd'],
  ],
  ['-L 2 multi-line buffer', ['-L', '2', '--print-all-matched', L('sshd'), 'Failed \\S+ for .* from <HOST>']],
  [
    '-L 3 multi-line regex',
    ['-L3', L('sshd'), 'sshd\\[(?P<pid>\\d+)\\]: Connection from <HOST>.*\\n.*sshd\\[(?P=pid)\\]: Failed'],
  ],
  // -L on prefregex filters: the prefregex keeps single-line ^/$ on the multi-line buffer
  ['-L 5, sshd filter (prefregex)', ['-r', '-L', '5', L('sshd'), 'sshd']],
  ['-L 2, dovecot filter (prefregex)', ['-r', '-L', '2', L('dovecot'), 'dovecot']],
  ['-L 2, asterisk (content hit mapped onto the buffer)', ['-r', '-L', '2', '--print-all-matched', L('asterisk'), 'asterisk']],
  ['-L 2 -o row, sshd filter', ['-r', '-L', '2', '-o', 'row', L('sshd'), 'sshd']],
  ['-L 2 -o ip, asterisk', ['-r', '-L', '2', '-o', 'ip', L('asterisk'), 'asterisk']],
  // first-match mode: an MLFID no-failure hit ends the line with nothing listed (no hit, not ignored)
  ['--no-check-all', ['-r', '--no-check-all', L('sshd'), 'sshd']],
  ['--no-check-all -v, aggressive mode', ['-r', '-v', '--no-check-all', L('sshd'), 'sshd[mode=aggressive]']],
  // -e takes Python codec names and aliases
  ['-e latin-1', ['-e', 'latin-1', '-o', '<F-USER> <ip>', BYTES_LOG, 'sshd']],
  ['-e latin_1, report', ['-e', 'latin_1', '-v', BYTES_LOG, 'sshd']],
  ['-e cp1252', ['-e', 'cp1252', '-o', '<F-USER>', BYTES_LOG, 'sshd']],
  ['-e koi8_r', ['-e', 'koi8_r', '-o', '<F-USER>', BYTES_LOG, 'sshd']],
  ['-e utf_8 (invalid bytes replaced)', ['-e', 'utf_8', '-o', '<F-USER>', BYTES_LOG, 'sshd']],
  // date templates listed in the detector's order after use (`{^LN-BEG}Epoch` then the defaults)
  ['nsd corpus, -v (date template order)', ['-r', '-v', L('nsd'), 'nsd']],
  ['custom -d', ['-r', '-d', '^%b %d %H:%M:%S', L('dovecot'), 'dovecot']],
  ['custom -d, literal regex', ['-d', '{^LN-BEG}%b %d %H:%M:%S', L('sshd'), 'from <HOST>']],
  ['IGNOREREGEX', ['-r', L('dovecot'), 'dovecot', 'rip=192\\.0\\.2\\.']],
  ['IGNOREREGEX, early (few ignoreregexes)', ['-r', L('sshd'), 'sshd', 'user (?:root|ROOT)']],
  ['-o ip, IPv6 with an IPv4 part', ['-o', 'ip', V6_LOG, 'sshd']],
  // -l: fail2ban's INFO lines (config files read, maxLines, date pattern) among the report
  ['-l info, filter name', ['-l', 'info', SSH_LINE, 'sshd']],
  ['-l INFO, filter file, -L and -d', ['-l', 'INFO', '-L', '2', '-d', '^%b %d %H:%M:%S', SSH_LINE, join(CONF, 'filter.d', 'sshd.conf')]],
  ['-l info, filter with its own datepattern', ['-l', 'info', '-o', 'ip', L('apache-badbots'), 'apache-badbots']],
  ['-l notice: nothing logged', ['-l', 'notice', '-d', '^%b %d %H:%M:%S', SSH_LINE, 'sshd']],
];

describe.skipIf(!haveF2b || !haveCorpus)('golden output against Debian fail2ban-regex 1.0.2', () => {
  const expected = new Map<string, Promise<Run>>();
  beforeAll(() => {
    // fail2ban-regex takes ~2 s per run (mostly start-up): run 6 at a time
    let chain: Promise<unknown>[] = Array.from({ length: 6 }, () => Promise.resolve());
    CASES.forEach(([title, args], i) => {
      const slot = i % chain.length;
      const p = chain[slot]!.then(() => theirs(['-c', CONF, ...args]));
      chain[slot] = p;
      expected.set(title, p);
    });
    chain = [];
  });

  it.each(CASES)('%s', async (title, args) => {
    const want = await expected.get(title)!;
    const got = await ours(['-c', CONF, ...args]);
    expect(got.code).toBe(want.code);
    expect(normalize(got.out)).toBe(normalize(want.out));
  });
});

if (!haveF2b || !haveCorpus) {
  it.skip(`golden tests need ${F2B} (apt-get install fail2ban) and the sample corpus at ${logs}`, () => {});
}

describe('old-style (?P<host>) tutorial filter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logjail-regex-'));
  const filter = join(dir, 'dovecot-pop3imap.conf');
  writeFileSync(
    filter,
    '[Definition]\nfailregex = .*(?:pop3-login|imap-login):.*(?:Authentication failure|Aborted login \\(auth failed|Aborted login \\(tried to use disabled|Disconnected \\(auth failed).*rip=(?P<host>\\S*),.*\nignoreregex =\n',
  );
  const tutorialLine =
    'Sep 17 15:05:14 user dovecot: pop3-login: Aborted login (tried to use disabled plaintext auth): rip=72.21.81.85, lip=198.81.129.107';
  const dovecot23 = [
    'Nov 25 06:20:59 mail dovecot: pop3-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 0 secs): user=<f2blab>, method=PLAIN, rip=198.51.100.2, lip=198.51.100.1, session=<UpSU1BNhAOrGM2QC>',
    'Nov 25 06:21:03 mail dovecot: imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 2 secs): user=<f2blab>, method=PLAIN, rip=198.51.100.2, lip=198.51.100.1, session=<Xk2Sy1BNiAOrGM2Q>',
  ];

  it('matches the tutorial’s own line (1 matched)', async () => {
    const r = await ours([tutorialLine, filter]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Use   failregex file : ${filter}`);
    expect(r.out).toContain('Lines: 1 lines, 0 ignored, 1 matched, 0 missed');
    const j = await ours(['-o', 'json', tutorialLine, filter]);
    expect(JSON.parse(j.out)).toMatchObject({
      line: 1,
      id: '72.21.81.85',
      ip: '72.21.81.85',
      fields: { host: '72.21.81.85' },
    });
  });

  it('does not match Dovecot 2.3 lines (0 matched)', async () => {
    const log = join(dir, 'maillog');
    writeFileSync(log, `${dovecot23.join('\n')}\n`);
    const r = await ours([log, filter]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Lines: 2 lines, 0 ignored, 0 matched, 2 missed');
  });
});

describe('errors: one line on stderr, exit 255, no stack', () => {
  it('a missing log path (the tutorial’s /vaar/log/maillog)', async () => {
    const r = await ours(['/vaar/log/maillog', 'sshd']);
    expect(r.code).toBe(255);
    expect(r.err).toBe('ERROR: log file not found: /vaar/log/maillog\n');
    expect(r.out).toBe('');
  });

  it('a directory as log path', async () => {
    for (const dir of [tmpdir(), '/tmp/']) {
      const r = await ours([dir, 'sshd']);
      expect(r.code).toBe(255);
      expect(r.err).toBe(`ERROR: log path is a directory, not a file: ${dir}\n`);
      expect(r.out).toBe('');
    }
  });

  it('a missing filter name or file', async () => {
    const r = await ours(['-c', CONF, SSH_LINE, 'nosuchfilter']);
    expect(r.code).toBe(255);
    expect(r.err).toBe(`ERROR: filter not found: ${CONF}/filter.d/nosuchfilter.conf\n`);
    const p = await ours([SSH_LINE, '/etc/fail2ban/filters.d/sshd.conf']);
    expect(p.err).toBe(
      'ERROR: filter not found: /etc/fail2ban/filters.d/sshd.conf (filters live in filter.d/, not filters.d/)\n',
    );
  });

  it('bad arguments', async () => {
    expect((await ours([SSH_LINE])).err).toMatch(/^ERROR: provide both <LOG> and <REGEX>/);
    expect((await ours(['-x', SSH_LINE, 'sshd'])).err).toBe('ERROR: no such option: -x (see --help)\n');
    expect((await ours(['-L', 'two', SSH_LINE, 'sshd'])).err).toBe(
      "ERROR: option -L: invalid integer value: 'two'\n",
    );
    expect((await ours(['--print-all-missed', '--print-no-missed', SSH_LINE, 'sshd'])).code).toBe(255);
  });

  it('a bad literal regex: 1.0.2\'s words and place (the failregex before the ignoreregex is announced)', async () => {
    const head = '\nRunning tests\n=============\n\n';
    const r = await ours([SSH_LINE, '^(unclosed', '<HOST>']);
    expect(r.code).toBe(255);
    expect(r.out).toBe(`${head}Use   failregex line : ^(unclosed\n`);
    expect(r.err).toBe(
      "ERROR: Unable to compile regular expression '^(unclosed':\nmissing ), unterminated subpattern at position 1\n",
    );
    const i = await ours([SSH_LINE, 'from <HOST>', 'x(?<=a+)\\d']);
    expect(i.code).toBe(255);
    expect(i.out).toBe(`${head}Use   failregex line : from <HOST>\nUse ignoreregex line : x(?<=a+)\\d\n`);
    expect(i.err).toBe(
      "ERROR: Unable to compile regular expression 'x(?<=a+)\\d':\nlook-behind requires fixed-width pattern\n",
    );
    const n = await ours([SSH_LINE, 'a b', 'c']);
    expect(n.code).toBe(255);
    expect(n.out).toBe(`${head}Use   failregex line : a b\n`);
    expect(n.err).toBe("ERROR: No failure-id group in 'a b'\n");
  });

  it('a bad regex in a filter file names the file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lj-regex-'));
    const file = join(dir, 'bad.conf');
    writeFileSync(file, '[Definition]\nfailregex = ^(unclosed <HOST>\n');
    const r = await ours([SSH_LINE, file]);
    expect(r.code).toBe(255);
    expect(r.err).toMatch(new RegExp(`^ERROR: ${file}:2: invalid Python regex: missing \\), unterminated subpattern`));
  });

  it('an unknown time zone, right after the header and -L (as fail2ban checks it)', async () => {
    const r = await ours(['-c', CONF, '--timezone', 'UTC+2', '-L', '2', SSH_LINE, 'sshd']);
    expect(r.code).toBe(255);
    expect(r.err).toBe("ERROR: Unknown or unsupported time zone: 'UTC+2'\n");
    expect(r.out).toBe('\nRunning tests\n=============\n\nUse         maxlines : 2\n');
  });

  it('an unknown encoding, before any output', async () => {
    const r = await ours(['-e', 'klingon', BYTES_LOG, 'sshd']);
    expect(r.code).toBe(255);
    expect(r.err).toBe("ERROR: option -e/--encoding: unknown encoding 'klingon'\n");
    expect(r.out).toBe('');
  });
});

describe('-o json and --now', () => {
  it('one object per failure with exactly the documented keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logjail-regex-'));
    const log = join(dir, 'auth.log');
    writeFileSync(
      log,
      [
        '# comment',
        'Dec 31 23:59:58 host sshd[7]: Failed password for invalid user admin from 192.0.2.7 port 22 ssh2',
        '',
        'Dec 31 23:59:59 host sshd[8]: Accepted password for alice from 192.0.2.8 port 22 ssh2',
        'Dec 31 23:59:59 host sshd[9]: Failed password for root from 2001:DB8::1 port 22 ssh2',
      ].join('\n'),
    );
    // "now" in early January: a December date belongs to the previous year
    const now = Date.UTC(2026, 0, 2) / 1000;
    const r = await ours([
      '-c',
      resolve(repoRoot, 'config'),
      '--now',
      String(now),
      '-o',
      'json',
      log,
      'sshd',
    ]);
    expect(r.code).toBe(0);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((x) => [x.line, x.id, x.ip])).toEqual([
      [2, '192.0.2.7', '192.0.2.7'],
      [5, '2001:db8::1', '2001:db8::1'],
    ]);
    for (const x of rows)
      expect(Object.keys(x)).toEqual(['line', 'id', 'ip', 'time', 'iso', 'matches', 'fields']);
    const first = rows[0]!;
    expect(new Date((first.time as number) * 1000).getFullYear()).toBe(2025);
    expect(first.iso).toMatch(/^2025-12-31T23:59:58[+-]\d\d:\d\d$/);
    expect(first.matches).toEqual([
      'Dec 31 23:59:58 host sshd[7]: Failed password for invalid user admin from 192.0.2.7 port 22 ssh2',
    ]);
    expect(first.fields).toMatchObject({ user: 'admin' });
  });

  it('ip is null when the failure id is not an address', async () => {
    const r = await ours([
      '-o',
      'json',
      'Jan  1 00:00:00 app: bad token tok-77 from somewhere',
      'bad token <F-ID>\\S+</F-ID>',
    ]);
    expect(JSON.parse(r.out)).toMatchObject({ id: 'tok-77', ip: null });
  });
});

describe('file reader', () => {
  it('a file gives what the same text given as lines gives (CRLF, non-ASCII, chunk edges, no final newline)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logjail-regex-'));
    const log = join(dir, 'mixed.log');
    const lines: string[] = [];
    // ~330 KB: lines cross the reader's 256 KiB chunk edge; non-ASCII and CR lines come after it
    for (let i = 0; i < 4200; i++) {
      const user = i % 97 === 0 ? `jos\u00e9${String(i)}` : i % 89 === 0 ? `u\u{1f600}${String(i)}` : `u${String(i)}`;
      const tail = i % 7 === 0 ? ' x' : '';
      lines.push(`auth failure user=${user} rhost=192.0.2.${String(i % 250)}${tail}${i % 61 === 0 ? '\r' : ''}`);
      if (i % 5 === 0) lines.push(`unrelated line ${String(i)}`);
    }
    writeFileSync(log, lines.join('\n'));
    // \\w is Unicode-aware (Python 3): only right if the reader flags non-ASCII lines as such
    const regex = '^auth failure user=(?P<user>\\w+) rhost=<HOST>$';
    const args = ['--now', '1735603200', '-o', 'json'];
    const fromFile = await ours([...args, log, regex]);
    const fromText = await ours([...args, lines.join('\n'), regex]);
    expect(fromFile.code).toBe(0);
    expect(fromText.code).toBe(0);
    const rows = fromFile.out.trim().split('\n');
    // every line without the trailing " x" matches ($ anchored), CR lines included; an emoji is no \\w
    const expected = lines.filter((l) => l.startsWith('auth') && !/ x\r?$/.test(l) && !l.includes('\u{1f600}'));
    expect(rows.length).toBe(expected.length);
    expect(rows.filter((r) => r.includes('jos\u00e9')).length).toBe(expected.filter((l) => l.includes('jos\u00e9')).length);
    expect(expected.filter((l) => l.includes('jos\u00e9')).length).toBeGreaterThan(10);
    expect(fromFile.out).toBe(fromText.out);
  });
});

describe('-e encodings', () => {
  it('utf-16 takes the byte order from the BOM and drops it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logjail-regex-'));
    const text = `${SSH_LINE}\n${SSH_LINE.replace('192.0.2.1', '192.0.2.2')}\n`;
    const le = join(dir, 'le.log');
    const be = join(dir, 'be.log');
    writeFileSync(le, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    writeFileSync(be, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]));
    for (const f of [le, be]) {
      const r = await ours(['-e', 'UTF_16', '-o', 'ip', f, 'for (?:invalid user )?\\S+ from <HOST>']);
      expect(r.out).toBe('192.0.2.1\n192.0.2.2\n');
    }
  });
});

describe('parseRegexArgs (optparse-style)', () => {
  it('clusters, attached values and --opt=value', () => {
    const p = parseRegexArgs(['-rvv', '-L2', '--out=row', '-d', '%s', 'log', 're']);
    expect(p.kind).toBe('run');
    if (p.kind !== 'run') return;
    expect(p.o).toMatchObject({ raw: true, verbose: 2, maxlines: 2, out: 'row', datepattern: '%s' });
    expect(p.positional).toEqual(['log', 're']);
  });

  it('options after the positionals, and -- ends options', () => {
    const p = parseRegexArgs(['log', 're', '--print-all-missed', '--', '-not-an-option']);
    expect(p.kind === 'run' && p.positional).toEqual(['log', 're', '-not-an-option']);
  });
});
