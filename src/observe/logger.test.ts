import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import { asctime, compileFormat, defaultFormat } from './log-format.js';
import { levelName, parseLogLevel } from './levels.js';
import { SyslogSink, findInPath, splitTargetOptions } from './log-targets.js';
import { createLogger } from './logger.js';

// 2026-11-25 06:19:28.957 UTC
const T = Date.UTC(2026, 10, 25, 6, 19, 28, 957) / 1000;
const PID = 19166;

let savedTz: string | undefined;
beforeAll(() => {
  savedTz = process.env.TZ;
  process.env.TZ = 'UTC';
});
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'logjail-log-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fileLogger(level: string | number = 'INFO') {
  const file = join(tempDir(), 'fail2ban.log');
  const logger = createLogger({ target: file, level, clock: fixedClock(T), pid: PID });
  const read = () => readFileSync(file, 'utf8');
  return { file, logger, read };
}

describe('log line format', () => {
  it('is byte-identical to fail2ban for a ban line', () => {
    const { logger, read } = fileLogger();
    logger.child('fail2ban.actions').notice('[sshd] Ban 192.0.2.10');
    logger.close();
    expect(read()).toBe(
      '2026-11-25 06:19:28,957 fail2ban.actions        [19166]: NOTICE  [sshd] Ban 192.0.2.10\n',
    );
  });

  it('pads names to 24 and levels to 7, never truncates, and uses fail2ban level names', () => {
    const { logger, read } = fileLogger('HEAVYDEBUG');
    logger.log('INFO', 'filter', '[sshd] Found 192.0.2.1 - 2026-11-25 06:19:20');
    logger.log(7, 'fail2ban.a.very.long.logger.name.indeed', 'trace');
    logger.child('jail').heavyDebug('heavy');
    logger.log(9, 'server', 'numeric');
    logger.critical('crit');
    logger.close();
    expect(read().split('\n')).toEqual([
      '2026-11-25 06:19:28,957 fail2ban.filter         [19166]: INFO    [sshd] Found 192.0.2.1 - 2026-11-25 06:19:20',
      '2026-11-25 06:19:28,957 fail2ban.a.very.long.logger.name.indeed[19166]: TRACE   trace',
      '2026-11-25 06:19:28,957 fail2ban.jail           [19166]: HEAVY   heavy',
      '2026-11-25 06:19:28,957 fail2ban.server         [19166]: #09-Lev. numeric',
      '2026-11-25 06:19:28,957 fail2ban.server         [19166]: CRITICAL crit',
      '',
    ]);
  });

  it('is parsed by the recidive filter regex shape (name, pid, NOTICE, [jail] Ban)', () => {
    const { logger, read } = fileLogger();
    logger.child('actions').notice('[sshd] Ban 2001:db8::1');
    logger.close();
    // the essential part of recidive's failregex, written in JS
    expect(read()).toMatch(
      /^\S+ \S+ fail2ban\.actions\s*\[\d+\]:\s+NOTICE\s+\[(?!recidive\])[^\]]*\]\s+Ban\s+2001:db8::1$/m,
    );
  });

  it('formats local time with milliseconds (truncated, not rounded)', () => {
    expect(asctime(T)).toBe('2026-11-25 06:19:28,957');
    expect(asctime(T + 0.0429)).toBe('2026-11-25 06:19:28,999');
    expect(asctime(T + 0.043)).toBe('2026-11-25 06:19:29,000');
    expect(asctime(1_000_000_000.0999)).toBe('2001-09-09 01:46:40,099');
    process.env.TZ = 'Asia/Kolkata';
    try {
      expect(asctime(T)).toBe('2026-11-25 11:49:28,957');
    } finally {
      process.env.TZ = 'UTC';
    }
  });

  it('supports Python %-formats: widths, precision, padding removal, %%', () => {
    const r = { time: T, name: 'fail2ban.jail', level: 25, levelName: 'NOTICE', pid: 7, message: 'm' };
    expect(compileFormat('%(levelname)-10s|%(name)5.4s|%(levelno)d %% %(message)s')(r)).toBe(
      'NOTICE    | fail|25 % m',
    );
    expect(defaultFormat({ datetime: false, padding: false })).toBe(
      '%(name)s[%(process)d]: %(levelname)s %(message)s',
    );
    expect(defaultFormat({ datetime: true, padding: true })).toBe(
      '%(asctime)s %(name)-24s[%(process)d]: %(levelname)-7s %(message)s',
    );
  });
});

describe('levels', () => {
  it('uses fail2ban numeric values and names', () => {
    expect(
      ['CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'MSG', 'DEBUG', 'TRACEDEBUG', 'HEAVYDEBUG'].map(
        parseLogLevel,
      ),
    ).toEqual([50, 40, 30, 25, 20, 18, 10, 7, 5]);
    expect(parseLogLevel('notice')).toBe(25);
    expect(parseLogLevel('9')).toBe(9);
    expect(parseLogLevel(50)).toBe(50);
    expect([50, 25, 7, 5, 18, 1, 49, 60].map(levelName)).toEqual([
      'CRITICAL',
      'NOTICE',
      'TRACE',
      'HEAVY',
      'MSG',
      '#01-Lev.',
      '#49-Lev.',
      'Level 60',
    ]);
    expect(() => parseLogLevel('LOUD')).toThrow(UsageError);
    expect(() => parseLogLevel('LOUD')).toThrow("Invalid log level 'LOUD'");
  });

  it('filters by loglevel and can change it at run time', () => {
    const { logger, read } = fileLogger('NOTICE');
    logger.info('hidden');
    logger.notice('shown');
    expect(logger.isEnabledFor('INFO')).toBe(false);
    logger.setLevel('debug');
    expect(logger.getLevel()).toBe('DEBUG');
    expect(logger.levelNo()).toBe(10);
    logger.debug('now shown');
    logger.traceDebug('still hidden');
    expect(() => {
      logger.setLevel('nope');
    }).toThrow(UsageError);
    expect(logger.getLevel()).toBe('DEBUG');
    logger.log('bogus-level', 'server', 'logged as ERROR, no throw');
    logger.close();
    expect(
      read()
        .split('\n')
        .map((l) => l.slice(24)),
    ).toEqual([
      'fail2ban.server         [19166]: NOTICE  shown',
      'fail2ban.server         [19166]: DEBUG   now shown',
      'fail2ban.server         [19166]: ERROR   logged as ERROR, no throw',
      '',
    ]);
  });
});

describe('targets', () => {
  let out: string[] = [];
  let err: string[] = [];
  beforeAll(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err.push(String(s));
      return true;
    });
  });
  afterEach(() => {
    out = [];
    err = [];
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  it('reopens the file after logrotate renamed it (flushlogs → rolled over)', () => {
    const { file, logger, read } = fileLogger();
    logger.notice('before');
    renameSync(file, `${file}.1`);
    logger.notice('after rename, before reopen'); // still goes to the renamed file
    expect(logger.reopen()).toBe('rolled over');
    logger.notice('after reopen');
    logger.close();
    expect(readFileSync(`${file}.1`, 'utf8')).toMatch(
      /NOTICE {2}before\n.*NOTICE {2}after rename, before reopen\n$/,
    );
    expect(
      read()
        .split('\n')
        .map((l) => l.slice(l.indexOf(']: ') + 3)),
    ).toEqual([`INFO    rollover performed on ${file}`, 'NOTICE  after reopen', '']);
  });

  it('writes STDOUT with date, SYSOUT without, STDERR; flushlogs answers flushed', () => {
    const l = createLogger({ target: 'STDOUT', level: 'INFO', clock: fixedClock(T), pid: PID });
    l.info('to stdout');
    expect(l.reopen()).toBe('flushed');
    expect(l.setTarget('SYSOUT')).toBe(true);
    l.info('no date');
    expect(l.setTarget('STDERR[padding=0]')).toBe(true);
    expect(l.getTarget()).toBe('STDERR[padding=0]');
    l.warning('to stderr');
    l.close();
    expect(out).toEqual([
      '2026-11-25 06:19:28,957 fail2ban.server         [19166]: INFO    to stdout\n',
      '2026-11-25 06:19:28,957 fail2ban.server         [19166]: INFO    flush performed on STDOUT\n',
      'fail2ban.server         [19166]: INFO    no date\n',
    ]);
    expect(err).toEqual(['2026-11-25 06:19:28,957 fail2ban.server[19166]: WARNING to stderr\n']);
  });

  it('honours a custom format option', () => {
    const l = createLogger({
      target: 'STDOUT[format="%(levelname)s: %(message)s"]',
      level: 'INFO',
      pid: PID,
    });
    l.notice('custom');
    expect(out).toEqual(['NOTICE: custom\n']);
  });

  it('SYSTEMD-JOURNAL writes stderr without date, with <N> priorities only under systemd', () => {
    const saved = process.env.JOURNAL_STREAM;
    try {
      delete process.env.JOURNAL_STREAM;
      const a = createLogger({ target: 'SYSTEMD-JOURNAL', level: 'INFO', clock: fixedClock(T), pid: PID });
      a.child('actions').notice('[sshd] Ban 192.0.2.10');
      process.env.JOURNAL_STREAM = '8:1234';
      const b = createLogger({ target: 'SYSTEMD-JOURNAL', level: 'INFO', clock: fixedClock(T), pid: PID });
      b.child('actions').notice('[sshd] Ban 192.0.2.10');
      b.error('bad');
    } finally {
      if (saved === undefined) delete process.env.JOURNAL_STREAM;
      else process.env.JOURNAL_STREAM = saved;
    }
    expect(err).toEqual([
      'fail2ban.actions[19166]: NOTICE [sshd] Ban 192.0.2.10\n',
      '<5>fail2ban.actions[19166]: NOTICE [sshd] Ban 192.0.2.10\n',
      '<3>fail2ban.server[19166]: ERROR bad\n',
    ]);
  });

  it('falls back to stderr with a warning when the file cannot be opened, and setTarget refuses it', () => {
    const dir = tempDir();
    const bad = join(dir, 'no', 'such', 'dir', 'x.log');
    const l = createLogger({ target: bad, level: 'INFO', clock: fixedClock(T), pid: PID });
    l.notice('still logged');
    expect(l.getTarget()).toBe(bad);
    expect(err[0]).toMatch(/^logjail: log target .*x\.log failed \(ENOENT.*\); logging to stderr\n$/);
    expect(err[1]).toBe('2026-11-25 06:19:28,957 fail2ban.server         [19166]: NOTICE  still logged\n');

    const good = join(dir, 'good.log');
    expect(l.setTarget(good)).toBe(true);
    expect(l.setTarget(bad)).toBe(false);
    expect(l.getTarget()).toBe(good);
    l.close();
    expect(readFileSync(good, 'utf8')).toMatch(
      /ERROR {3}Unable to log to .*x\.log: ENOENT.*\n.*INFO {4}Logging to previous target .*good\.log\n$/,
    );
  });

  it('keeps logging (to stderr) when the file becomes unwritable, and recovers on reopen', () => {
    const dir = tempDir();
    const sub = join(dir, 'logs');
    mkdirSync(sub);
    const file = join(sub, 'f.log');
    const l = createLogger({ target: file, level: 'INFO', clock: fixedClock(T), pid: PID });
    l.notice('one');
    rmSync(sub, { recursive: true });
    // reopen fails: the directory is gone
    expect(() => l.reopen()).not.toThrow();
    l.notice('two');
    expect(err.some((e) => e.includes('failed'))).toBe(true);
    expect(err.some((e) => e.endsWith('NOTICE  two\n'))).toBe(true);
    mkdirSync(sub);
    l.reopen();
    l.notice('three');
    l.close();
    expect(readFileSync(file, 'utf8')).toMatch(/NOTICE {2}three\n$/);
  });

  it("SYSLOG without a socket falls back to stderr with fail2ban's message", () => {
    const l = createLogger({
      target: 'SYSLOG',
      level: 'INFO',
      clock: fixedClock(T),
      pid: PID,
      syslogSocket: '/nonexistent/log',
    });
    l.notice('x');
    expect(err[0]).toContain('Syslog socket file: /nonexistent/log does not exists or is not a socket');
    expect(err[1]).toMatch(/NOTICE {2}x\n$/);
  });

  it('parses target options', () => {
    expect(splitTargetOptions('SYSLOG[facility=auth, padding=1]')).toEqual({
      target: 'SYSLOG',
      options: { facility: 'auth', padding: '1' },
    });
    expect(splitTargetOptions('/var/log/fail2ban.log')).toEqual({
      target: '/var/log/fail2ban.log',
      options: {},
    });
  });
});

/** A stand-in for /dev/log: python binds a unix datagram socket (Node cannot) and prints what it receives. */
const PY = findInPath('python3');
const LOGGER = findInPath('logger');
const PY_SYSLOGD = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('ready', flush=True)
while True:
    d = s.recv(65536)
    print(d.decode('utf8', 'replace').replace('\\n', '\\\\n'), flush=True)
`;

describe('SYSLOG through logger(1)', () => {
  it.skipIf(!PY || !LOGGER)(
    'sends fail2ban-shaped messages with facility and severity (python3 + logger needed)',
    async () => {
      const dir = tempDir();
      const sock = join(dir, 'log');
      const srv = spawn(PY!, ['-c', PY_SYSLOGD, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
      let buf = '';
      srv.stdout.setEncoding('utf8');
      srv.stdout.on('data', (d: string) => (buf += d));
      try {
        await vi.waitFor(
          () => {
            expect(buf).toContain('ready');
          },
          { timeout: 10_000 },
        );
        const sink = new SyslogSink(sock, 4 /* auth */, PID);
        sink.write('NOTICE [sshd] Ban 192.0.2.10', 25, 'fail2ban.actions');
        sink.write('ERROR boom', 40, 'fail2ban.server');
        await sink.drain();
        await vi.waitFor(
          () => {
            expect(buf.split('\n').filter((x) => x.startsWith('<'))).toHaveLength(2);
          },
          { timeout: 10_000 },
        );
        const msgs = buf.split('\n').filter((x) => x.startsWith('<'));
        // <PRI>timestamp tag[pid]: message  (logger's local format)
        expect(msgs.find((m) => m.startsWith('<37>'))).toMatch(
          /^<37>.*fail2ban\.actions\[19166\]: NOTICE \[sshd\] Ban 192\.0\.2\.10$/,
        );
        expect(msgs.find((m) => m.startsWith('<35>'))).toMatch(
          /^<35>.*fail2ban\.server\[19166\]: ERROR boom$/,
        );
      } finally {
        srv.kill();
      }
    },
  );

  it.skipIf(!PY || !LOGGER)('createLogger with syslogSocket uses it, without date and padding', async () => {
    const dir = tempDir();
    const sock = join(dir, 'log');
    const srv = spawn(PY!, ['-c', PY_SYSLOGD, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    srv.stdout.setEncoding('utf8');
    srv.stdout.on('data', (d: string) => (buf += d));
    try {
      await vi.waitFor(
        () => {
          expect(buf).toContain('ready');
        },
        { timeout: 10_000 },
      );
      const l = createLogger({
        target: 'SYSLOG',
        level: 'INFO',
        clock: fixedClock(T),
        pid: PID,
        syslogSocket: sock,
      });
      l.child('actions').notice('[sshd] Ban 192.0.2.10');
      expect(l.reopen()).toBe('flushed');
      await vi.waitFor(
        () => {
          expect(buf.split('\n').filter((x) => x.startsWith('<'))).toHaveLength(2);
        },
        { timeout: 10_000 },
      );
      l.close();
      const msgs = buf.split('\n').filter((x) => x.startsWith('<'));
      expect(msgs.find((m) => m.startsWith('<29>'))).toMatch(
        /^<29>.*fail2ban\.actions\[19166\]: NOTICE \[sshd\] Ban 192\.0\.2\.10$/,
      );
      expect(msgs.find((m) => m.startsWith('<30>'))).toMatch(
        /fail2ban\.server\[19166\]: INFO flush performed on SYSLOG$/,
      );
    } finally {
      srv.kill();
    }
  });
});
