import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beautify, toJson } from '../control/beautify.js';
import { notDefined } from '../config/reader-warnings.js';
import { errorText } from '../control/errors.js';
import { pyRepr } from '../control/pyrepr.js';
import { sendCommand } from '../control/client.js';
import { socketAlive } from '../control/socket-server.js';
import { errorMessage } from '../core/errors.js';
import { argsTuple, clientLogLine, readerWarning } from './output.js';
import { clientUsage } from './client-help.js';
import { FAIL2BAN_TOOL_OPTS, getopt, type ParsedOpts } from './getopt.js';
import { interactive } from './client-interactive.js';
import { defaultConfDir, loadServerDefaults } from './server-defaults.js';

/**
 * `logjail client …` / `fail2ban-client …`: fail2ban-client's options and commands, the same
 * output bytes and exit codes (0 ok, 255 error); `--json` prints machine-readable replies.
 */
interface ClientOptions {
  conf: string;
  socket: string | null;
  pidfile: string | null;
  force: boolean;
  foreground: boolean;
  json: boolean;
  timeout: number;
  verbose: number;
  quiet: boolean;
  loglevel: string | null;
  logtarget: string | null;
  test: boolean;
  dump: boolean;
  interactive: boolean;
}


export async function clientMain(argv: string[]): Promise<number> {
  const o: ClientOptions = {
    conf: defaultConfDir(),
    socket: null,
    pidfile: null,
    force: false,
    foreground: false,
    json: false,
    timeout: 30,
    verbose: 0,
    quiet: false,
    loglevel: null,
    logtarget: null,
    test: false,
    dump: false,
    interactive: false,
  };
  // options as fail2ban's client reads them (getopt: -vvv, -c/dir, --conf=dir)
  let parsed: ParsedOpts;
  try {
    parsed = getopt(argv, CLIENT_OPTS);
  } catch (e) {
    throw new Error(`${errorMessage(e)} (see --help)`);
  }
  let confGiven = false;
  for (const [a, value] of parsed.opts) {
    const v = value ?? '';
    switch (a) {
      case '-c':
      case '--conf':
        o.conf = v;
        confGiven = true;
        break;
      case '-s':
      case '--socket':
        o.socket = v;
        break;
      case '-p':
      case '--pidfile':
        o.pidfile = v;
        break;
      case '--loglevel':
        o.loglevel = v;
        break;
      case '--logtarget':
        o.logtarget = v;
        break;
      case '--timeout':
        o.timeout = Number(v);
        if (!Number.isFinite(o.timeout) || o.timeout <= 0)
          throw new Error(`--timeout: not a positive number`);
        break;
      case '-x':
        o.force = true;
        break;
      case '-f':
        o.foreground = true;
        break;
      case '-b':
      case '--async':
        o.foreground = false;
        break;
      case '-v':
        o.verbose++;
        break;
      case '-q':
        o.quiet = true;
        break;
      case '-t':
      case '--test':
        o.test = true;
        break;
      case '-d':
      case '--dp':
      case '--dump-pretty':
        o.dump = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '-i':
        o.interactive = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write(clientUsage());
        return 0;
      case '-V':
        process.stdout.write('1.0.2\n');
        return 0;
      case '--version':
        process.stdout.write(`logjail ${packageVersion()} (fail2ban 1.0.2 compatible)\n`);
        return 0;
      case '--str2sec': {
        const { str2secText } = await import('../config/timespec.js');
        process.stdout.write(`${str2secText(v)}\n`);
        return 0;
      }
      default:
      // --pname, --syslogsocket: nothing to do here
    }
  }
  // `--json` may also follow the command
  const cmd: string[] = [];
  for (const a of parsed.rest) {
    if (a === '--json') o.json = true;
    else cmd.push(a);
  }

  // fail2ban-client's own check and texts (it would otherwise fall back to the default socket)
  if (confGiven && !existsSync(o.conf)) {
    process.stdout.write(`ERROR: Base configuration directory ${o.conf} does not exist \n`);
    process.stderr.write(`${clientLogLine('ERROR', 'Init of command line failed')}\n`);
    return 255;
  }
  const defaults = loadServerDefaults(o.conf);
  const socket = o.socket ?? defaults.socket;
  const pidfile = o.pidfile ?? defaults.pidfile;

  // fail2ban's client reads the configuration for -d, -t and start, and logs what it warns about
  const warn = readerWarning;
  for (const [k, v] of defaults.missing) warn(notDefined(k, 'Definition', pyRepr(v)), 'configreader');
  if (o.test || o.dump) {
    await (await import('./config-test.js')).testOrDump(o.conf, { ...o, warn });
    return 0;
  }
  const run = (c: string[]): Promise<number> => dispatch(c, o, socket, pidfile, warn);
  if (o.interactive) return interactive(cmd, run);
  if (cmd.length === 0) {
    process.stdout.write(clientUsage());
    return 255;
  }
  return run(cmd);
}

/** One command: start/stop/restart of the server are the client's own, the rest goes to the socket. */
async function dispatch(
  cmd: string[],
  o: ClientOptions,
  socket: string,
  pidfile: string,
  warn: (msg: string, logger: 'configreader' | 'jailreader') => void,
): Promise<number> {
  if (cmd[0] === 'start' && cmd.length === 1) {
    const [{ configStream }, { readConfig }] = await Promise.all([import('../control/config-stream.js'), import('../config/index.js')]);
    try {
      await configStream(readConfig(o.conf), { warn });
    } catch {
      // the server reports a broken configuration itself
    }
    return startServer(o, socket, pidfile);
  }
  if (cmd[0] === 'restart' && cmd.length === 1) {
    if (await socketAlive(socket)) {
      const code = await stopServer(socket, o.timeout);
      if (code !== 0) return code;
    }
    return startServer(o, socket, pidfile);
  }
  if (cmd[0] === 'stop' && cmd.length === 1) return stopServer(socket, o.timeout);
  if (cmd[0] === 'ping' && cmd.length > 1) {
    // `ping TIMEOUT`: fail2ban-client reads the wait with Python's float()
    const t = pyFloat(cmd[1]!);
    if (t === null) {
      process.stderr.write(`${clientLogLine('ERROR', `could not convert string to float: ${pyRepr(cmd[1]!)}`)}\n`);
      return 255;
    }
    // (a timer cannot wait for ever: inf and nan wait as long as a day, or the default)
    return runCommand(socket, cmd, { ...o, timeout: Number.isNaN(t) ? o.timeout : Math.min(t, 86400) });
  }
  return runCommand(socket, cmd, o);
}

const CLIENT_OPTS = { ...FAIL2BAN_TOOL_OPTS, long: [...FAIL2BAN_TOOL_OPTS.long, 'json'] };

async function runCommand(socket: string, cmd: string[], o: ClientOptions): Promise<number> {
  let reply;
  try {
    reply = await sendCommand(socket, cmd, o.timeout * 1000);
  } catch (e) {
    process.stderr.write(`${clientLogLine('ERROR', errorMessage(e))}\n`);
    return 255;
  }
  if (reply.ok) {
    process.stdout.write(
      `${o.json ? JSON.stringify(toJson(cmd, reply.value)) : beautify(cmd, reply.value)}\n`,
    );
    return 0;
  }
  process.stderr.write(`${clientLogLine('ERROR', `NOK: ${reply.args ?? argsTuple(reply.error)}`)}\n`);
  process.stdout.write(
    `${o.json ? JSON.stringify({ error: errorText(reply.kind, reply.error) }) : errorText(reply.kind, reply.error)}\n`,
  );
  return 255;
}

/** Python's float() of a text, or null where it raises. */
function pyFloat(text: string): number | null {
  const t = text.trim().replace(/(?<=\d)_(?=\d)/g, '');
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?inf(?:inity)?$/i.test(t)) return /^-/.test(t) ? -Infinity : Infinity;
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(t)) return null;
  return Number(t);
}

function serverEntry(): string {
  return fileURLToPath(new URL('./logjail.js', import.meta.url));
}

function packageVersion(): string {
  try {
    const p = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8'),
    ) as { version: string };
    return p.version;
  } catch {
    return 'unknown';
  }
}

async function startServer(o: ClientOptions, socket: string, pidfile: string): Promise<number> {
  if (await socketAlive(socket)) {
    process.stderr.write(`${clientLogLine('ERROR', `Server already running`)}\n`);
    return 255;
  }
  const serverArgs = [serverEntry(), 'server', '-f', '-c', o.conf, '-s', socket, '-p', pidfile];
  if (o.force) serverArgs.push('-x');
  if (o.loglevel) serverArgs.push('--loglevel', o.loglevel);
  if (o.logtarget) serverArgs.push('--logtarget', o.logtarget);
  if (o.foreground) {
    const child = spawn(process.execPath, serverArgs, { stdio: 'inherit' });
    return new Promise((resolve) =>
      child.on('exit', (code) => {
        resolve(code ?? 255);
      }),
    );
  }
  const child = spawn(process.execPath, serverArgs, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  const state: { exited: number | null } = { exited: null };
  child.once('exit', (code) => (state.exited = code ?? 255));
  const deadline = Date.now() + o.timeout * 1000;
  while (Date.now() < deadline) {
    if (state.exited !== null) {
      process.stderr.write(stderr.endsWith('\n') || stderr === '' ? stderr : `${stderr}\n`);
      process.stderr.write(`${clientLogLine('ERROR', 'Could not start server')}\n`);
      return 255;
    }
    if (existsSync(socket) && (await socketAlive(socket))) {
      child.stderr.destroy();
      child.unref();
      process.stdout.write('Server ready\n');
      return 0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stderr.write(`${clientLogLine('ERROR', 'Could not find server')}\n`);
  return 255;
}

async function stopServer(socket: string, timeout: number): Promise<number> {
  let reply;
  try {
    reply = await sendCommand(socket, ['stop'], timeout * 1000);
  } catch (e) {
    process.stderr.write(`${clientLogLine('ERROR', errorMessage(e))}\n`);
    return 255;
  }
  if (!reply.ok) {
    process.stdout.write(`${errorText(reply.kind, reply.error)}\n`);
    return 255;
  }
  // Wait for a clean shutdown: the server removes its socket as the last step.
  const deadline = Date.now() + timeout * 1000;
  while (Date.now() < deadline && existsSync(socket)) await new Promise((r) => setTimeout(r, 50));
  process.stdout.write('Shutdown successful\n');
  return 0;
}
