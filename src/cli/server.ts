import { errorMessage } from '../core/errors.js';
import { Server } from '../server/server.js';
import { defaultConfDir } from './server-defaults.js';

/**
 * `logjail server` / `fail2ban-server`: run the daemon in this process. `-f` (foreground) is
 * what systemd and `npm start` use; `-b` detaches (fail2ban-client start uses its own spawn).
 */
const USAGE = `Usage: fail2ban-server [OPTIONS]

Options:
    -c, --conf <DIR>        configuration directory (default ${defaultConfDir()})
    -s, --socket <FILE>     socket path (default: fail2ban.conf's socket)
    -p, --pidfile <FILE>    pidfile path (default: fail2ban.conf's pidfile)
    --loglevel <LEVEL>      logging level
    --logtarget <TARGET>    file path, STDOUT, STDERR, SYSLOG or SYSTEMD-JOURNAL
    --dbfile <FILE>         SQLite database (None disables persistence)
    -x                      remove a stale socket file
    -f                      stay in foreground
    -b                      start in background
    -h, --help              this help
`;

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
  let background = false;
  const args = [...argv];
  const need = (flag: string): string => {
    const v = args.shift();
    if (v === undefined) throw new Error(`option ${flag} requires an argument`);
    return v;
  };
  while (args.length > 0) {
    const a = args.shift()!;
    switch (a) {
      case '-c':
      case '--conf':
        opts.confdir = need(a);
        break;
      case '-s':
      case '--socket':
        opts.socket = need(a);
        break;
      case '-p':
      case '--pidfile':
        opts.pidfile = need(a);
        break;
      case '--loglevel':
        opts.loglevel = need(a);
        break;
      case '--logtarget':
        opts.logtarget = need(a);
        break;
      case '--dbfile':
        opts.dbfile = need(a);
        break;
      case '--pname':
      case '--syslogsocket':
      case '--timeout':
        need(a);
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
      case '--async':
        break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        return 0;
      default:
        process.stderr.write(`ERROR: unknown option ${a} (see --help)\n`);
        return 255;
    }
  }
  if (background) {
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [
        process.argv[1]!,
        ...(process.argv[2] === 'server' ? ['server'] : []),
        ...argv.filter((a) => a !== '-b'),
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
