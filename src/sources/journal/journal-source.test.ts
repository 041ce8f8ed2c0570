import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogjailError } from '../../core/errors.js';
import type { LogLine } from '../../core/failure.js';
import type { LogPosition, PositionStore } from '../source.js';
import { JournalSource, journalArgsFromBackendOptions, type JournalSourceOptions } from './journal-source.js';

/**
 * A fake `journalctl` on PATH: prints the JSON entries of $FAKE_JOURNAL (one per line) after
 * --after-cursor / from --since / only new ones with --lines=0, then follows the file.
 * Records its argv in $FAKE_JOURNAL_ARGS; with $FAKE_JOURNAL_DIE_AFTER=n it exits once after n entries.
 */
const fakeJournalctl = `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_JOURNAL_ARGS, JSON.stringify(args) + '\\n');
const read = () => fs.readFileSync(process.env.FAKE_JOURNAL, 'utf8').split('\\n').filter(Boolean);
let lines = read();
let next = 0;
const after = args.find((a) => a.startsWith('--after-cursor='));
const since = args.find((a) => a.startsWith('--since=@'));
if (after) {
  const c = after.slice('--after-cursor='.length);
  const i = lines.findIndex((l) => JSON.parse(l).__CURSOR === c);
  if (i < 0) { process.stderr.write('Failed to seek to cursor: Invalid argument\\n'); process.exit(1); }
  next = i + 1;
} else if (since) {
  const t = Number(since.slice('--since=@'.length)) * 1e6;
  next = lines.findIndex((l) => Number(JSON.parse(l).__REALTIME_TIMESTAMP) >= t);
  if (next < 0) next = lines.length;
} else if (args.includes('--lines=0')) next = lines.length;
const dieAfter = Number(process.env.FAKE_JOURNAL_DIE_AFTER || 0);
const marker = process.env.FAKE_JOURNAL + '.died';
let printed = 0;
const pump = () => {
  lines = read();
  let out = '';
  while (next < lines.length) {
    out += lines[next++] + '\\n';
    printed++;
    if (dieAfter && printed >= dieAfter && !fs.existsSync(marker)) {
      fs.writeFileSync(marker, '');
      process.stdout.write(out, () => process.exit(0));
      return;
    }
  }
  if (out) process.stdout.write(out);
  setTimeout(pump, 20);
};
pump();
`;

let dir: string;
let env: NodeJS.ProcessEnv;
const sources: JournalSource[] = [];

class MemPositions implements PositionStore {
  readonly map = new Map<string, LogPosition>();
  get(path: string): LogPosition | null {
    return this.map.get(path) ?? null;
  }
  set(path: string, pos: LogPosition): void {
    this.map.set(path, { ...pos });
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'logjail-journal-'));
  writeFileSync(join(dir, 'journalctl'), fakeJournalctl);
  chmodSync(join(dir, 'journalctl'), 0o755);
  writeFileSync(join(dir, 'entries'), '');
  env = {
    PATH: `${dir}:/usr/bin:/bin`,
    FAKE_JOURNAL: join(dir, 'entries'),
    FAKE_JOURNAL_ARGS: join(dir, 'args'),
  };
});
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

function addEntries(from: number, n: number, t0 = 1_700_000_000): void {
  let s = '';
  for (let i = from; i < from + n; i++) {
    s += `${JSON.stringify({ __CURSOR: `c${i}`, __REALTIME_TIMESTAMP: String((t0 + i) * 1_000_000), _HOSTNAME: 'box', SYSLOG_IDENTIFIER: 'sshd', _PID: String(100 + i), MESSAGE: `msg ${i}` })}\n`;
  }
  appendFileSync(join(dir, 'entries'), s);
}

function argvRuns(): string[][] {
  const f = join(dir, 'args');
  return existsSync(f)
    ? readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[])
    : [];
}

async function startJournal(
  opts: Partial<JournalSourceOptions>,
  got: LogLine[],
  logs: string[] = [],
): Promise<JournalSource> {
  const s = new JournalSource(
    {
      matches: ['_SYSTEMD_UNIT=sshd.service + _COMM=sshd', "_COMM='my daemon'"],
      env,
      restartDelayMs: 50,
      log: (l, m) => logs.push(`${l}: ${m}`),
      ...opts,
    },
    (lines) => {
      got.push(...lines);
    },
  );
  sources.push(s);
  await s.start();
  return s;
}

async function waitFor(got: LogLine[], n: number): Promise<void> {
  const end = Date.now() + 10_000;
  while (got.length < n) {
    if (Date.now() > end) throw new Error(`timeout: ${got.length}/${n}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('JournalSource', () => {
  it('runs journalctl -f -o json with the matches and formats entries', async () => {
    addEntries(0, 3); // history: not read on a fresh start without `since`
    const got: LogLine[] = [];
    const metas: boolean[] = [];
    const s = new JournalSource(
      { matches: ['_SYSTEMD_UNIT=sshd.service + _COMM=sshd', "_COMM='my daemon'"], env },
      (lines, meta) => {
        got.push(...lines);
        metas.push(meta.catchingUp);
      },
    );
    sources.push(s);
    await s.start();
    const now = Math.floor(Date.now() / 1000) + 1;
    addEntries(3, 2, now); // written right after start, maybe before journalctl is up: still seen
    await waitFor(got, 2);
    expect(got).toEqual([
      { text: 'box sshd[103]: msg 3', source: 'journal', time: now + 3 },
      { text: 'box sshd[104]: msg 4', source: 'journal', time: now + 4 },
    ]);
    expect(metas.every((c) => !c)).toBe(true);
    const argv = argvRuns()[0]!;
    expect(argv.slice(0, 3)).toEqual(['-f', '-o', 'json']);
    expect(argv.some((a) => a.startsWith('--since=@'))).toBe(true);
    expect(argv.slice(-5)).toEqual(['_SYSTEMD_UNIT=sshd.service', '+', '_COMM=sshd', '+', '_COMM=my daemon']);
  });

  it('saves the cursor and resumes right after it on restart', async () => {
    addEntries(0, 5);
    const store = new MemPositions();
    const got1: LogLine[] = [];
    const s1 = await startJournal({ positions: store, since: 1_700_000_000 }, got1);
    await waitFor(got1, 5);
    await s1.stop();
    expect(store.get('journal')).toEqual({ firstLineMd5: 'c4', pos: 1_700_000_004 });
    addEntries(5, 3);
    const got2: LogLine[] = [];
    await startJournal({ positions: store, since: 1_700_000_000 }, got2);
    await waitFor(got2, 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(got2.map((l) => l.text)).toEqual([
      'box sshd[105]: msg 5',
      'box sshd[106]: msg 6',
      'box sshd[107]: msg 7',
    ]);
    expect(argvRuns()[1]).toContain('--after-cursor=c4');
  });

  it('restarts journalctl when it dies, without losing or repeating entries', async () => {
    addEntries(0, 4);
    env.FAKE_JOURNAL_DIE_AFTER = '2';
    const got: LogLine[] = [];
    const logs: string[] = [];
    await startJournal({ since: 0 }, got, logs);
    await waitFor(got, 4);
    addEntries(4, 2);
    await waitFor(got, 6);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.map((l) => l.text.slice(-5))).toEqual(['msg 0', 'msg 1', 'msg 2', 'msg 3', 'msg 4', 'msg 5']);
    expect(argvRuns()[1]).toContain('--after-cursor=c1');
    expect(logs.some((m) => m.startsWith('warning: journalctl exited'))).toBe(true);
  });

  it('falls back to --since when the saved cursor is no longer in the journal', async () => {
    addEntries(10, 3);
    const store = new MemPositions();
    store.set('journal', { firstLineMd5: 'vacuumed', pos: 1_700_000_011 });
    const got: LogLine[] = [];
    await startJournal({ positions: store }, got);
    await waitFor(got, 2);
    expect(got.map((l) => l.text.slice(-6))).toEqual(['msg 11', 'msg 12']);
    expect(argvRuns()[1]).toContain('--since=@1700000011');
  });

  it('says clearly when journalctl is not installed', async () => {
    const s = new JournalSource({ matches: [], env: { PATH: join(dir, 'empty') } }, () => undefined);
    const err = await s.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LogjailError);
    expect((err as LogjailError).message).toMatch(/'journalctl' not found; install journalctl/);
    await s.stop();
  });

  it('maps backend parameters to journalctl arguments', () => {
    expect(
      journalArgsFromBackendOptions({
        journalpath: '/var/log/journal/x',
        namespace: 'ns',
        journalflags: '4',
      }),
    ).toEqual(['--directory=/var/log/journal/x', '--namespace=ns', '--system']);
  });
});
