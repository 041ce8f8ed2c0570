import { errorMessage } from '../core/errors.js';
import { Server } from '../server/server.js';
import { str2secText } from '../config/timespec.js';
import { COMPAT_VERSION } from '../server/server.js';
import { testOrDump } from './config-test.js';
import { FAIL2BAN_TOOL_OPTS, getopt, type ParsedOpts } from './getopt.js';
import { readerWarning } from './output.js';
import { defaultConfDir } from './server-defaults.js';

/**
 * `logjail server` / `fail2ban-server`: run the daemon in this process. `-f` (foreground) is
 * what systemd and `npm start` use; `-b` detaches (fail2ban-client start uses its own spawn).
 */
const USAGE = `Usage: fail2ban-server [OPTIONS] [start]

Options:
    -c, --conf <DIR>        configuration directory (default ${defaultConfDir()})
    -s, --socket <FILE>     socket path (default: fail2ban.conf's socket)
    -p, --pidfile <FILE>    pidfile path (default: fail2ban.conf's pidfile)
    --loglevel <LEVEL>      logging level
    --logtarget <TARGET>    file path, STDOUT, STDERR, SYSOUT, SYSLOG or SYSTEMD-JOURNAL
    --dbfile <FILE>         SQLite database (None disables persistence)
    -d, --dp, --dump-pretty print the command stream the configuration compiles to
    -t, --test              test the configuration (with start: then start)
    -x                      remove a stale socket file
    -f                      stay in foreground
    -b                      start in background (default)
    --str2sec <STRING>      print a time abbreviation (e.g. 1d12h) in seconds
    -h, --help              this help
    -V, --version           print the version (-V: just the number)
    --pname, --syslogsocket, --timeout, --async, -v, -q
                            accepted for compatibility
`;

const SPEC = { ...FAIL2BAN_TOOL_OPTS, long: [...FAIL2BAN_TOOL_OPTS.long, 'dbfile='] };

export async function serverMain(argv: string[]): Promise<number> {
  const opts: {
    confdir: string;
    socket?: string;
    pidfile?: string;
    force?: boolean;
    logtarget?: string;
    loglevel?: string;
    dbfile?: string;
  } = { confdir: defaultConfDir() };
  let background = true;
  let test = false;
  let dump = false;
  let parsed: ParsedOpts;
  try {
    parsed = getopt(argv, SPEC);
  } catch (e) {
    process.stderr.write(`ERROR: ${errorMessage(e)} (see --help)\n`);
    return 255;
  }
  for (const [opt, value] of parsed.opts) {
    const v = value ?? '';
    switch (opt) {
      case '-c':
      case '--conf':
        opts.confdir = v;
        break;
      case '-s':
      case '--socket':
        opts.socket = v;
        break;
      case '-p':
      case '--pidfile':
        opts.pidfile = v;
        break;
      case '--loglevel':
        opts.loglevel = v;
        break;
      case '--logtarget':
        opts.logtarget = v;
        break;
      case '--dbfile':
        opts.dbfile = v;
        break;
      case '-x':
        opts.force = true;
        break;
      case '-f':
        background = false;
        break;
      case '-b':
        background = true;
        break;
      case '-t':
      case '--test':
        test = true;
        break;
      case '-d':
      case '--dp':
      case '--dump-pretty':
        dump = true;
        break;
      case '-i':
        process.stderr.write('ERROR: option -i: interactive mode is the client\'s (fail2ban-client -i)\n');
        return 255;
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        return 0;
      case '-V':
        process.stdout.write(`${COMPAT_VERSION}\n`);
        return 0;
      case '--version':
        process.stdout.write(`logjail (fail2ban ${COMPAT_VERSION} compatible)\n`);
        return 0;
      case '--str2sec':
        process.stdout.write(`${str2secText(v)}\n`);
        return 0;
      default:
      // --pname, --syslogsocket, --timeout, --async, -v, -q: nothing to do here
    }
  }
  // the command fail2ban's unit gives (`fail2ban-server -xf start`) is what the server does anyway
  const command = parsed.rest;
  if (command.length > 1 || (command.length === 1 && command[0] !== 'start')) {
    process.stderr.write(
      `ERROR: unknown command '${command.join(' ')}': the server only starts (send commands with fail2ban-client)\n`,
    );
    return 255;
  }
  if (test || dump) {
    try {
      await testOrDump(opts.confdir, { test, dump, loglevel: opts.loglevel ?? null, logtarget: opts.logtarget ?? null, warn: readerWarning });
    } catch (e) {
      process.stderr.write(`ERROR: ${errorMessage(e)}\n`);
      return 255;
    }
    if (command.length === 0 || dump) return 0;
  }
  if (background) {
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [
        process.argv[1]!,
        ...(process.argv[2] === 'server' ? ['server'] : []),
        ...parsed.opts.filter(([o]) => o !== '-b' && o !== '-f' && o !== '-t' && o !== '--test').flatMap(([o, v]) => (v === null ? [o] : [o, v])),
        '-f',
      ],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    child.unref();
    return 0;
  }
  let done!: () => void;
  const stopped = new Promise<void>((r) => (done = r));
  const server = new Server({
    ...opts,
    onStopped: () => {
      done();
    },
  });
  try {
    await server.start();
  } catch (e) {
    process.stderr.write(`ERROR: ${errorMessage(e)}\n`);
    await server.shutdown().catch(() => undefined);
    return 255;
  }
  const stop = (): void => {
    void server.shutdown();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => void server.reloadFromSignal());
  process.on('SIGUSR1', () => {
    server.reopenLogs();
  });
  await stopped;
  return 0;
}
