import { LogjailError, errorMessage } from '../core/errors.js';

/**
 * The umbrella command. Each tool is loaded lazily so `fail2ban-regex` does not pay for the
 * server's modules. User errors become one line on stderr and a non-zero exit, never a stack.
 */
const USAGE = `Usage: logjail <command> [options]

Commands:
  regex   test a filter against a log (same as fail2ban-regex)
  server  run the daemon (same as fail2ban-server)
  client  control the daemon (same as fail2ban-client)
`;

export function run(argv: string[]): void {
  const [tool, ...rest] = argv;
  let main: Promise<number>;
  switch (tool) {
    case 'regex':
      main = import('./regex.js').then((m) => m.regexMain(rest));
      break;
    case 'server':
      main = import('./server.js').then((m) => m.serverMain(rest));
      break;
    case 'client':
      main = import('./client.js').then((m) => m.clientMain(rest));
      break;
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      main = Promise.resolve(tool === undefined ? 2 : 0);
      break;
    default:
      process.stderr.write(`logjail: unknown command '${tool}'\n${USAGE}`);
      main = Promise.resolve(2);
  }
  main.then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const msg = errorMessage(err);
      process.stderr.write(`ERROR: ${msg}\n`);
      if (!(err instanceof LogjailError) && process.env.LOGJAIL_DEBUG) console.error(err);
      process.exitCode = 255;
    },
  );
}
