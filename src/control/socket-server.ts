import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { LogjailError } from '../core/errors.js';
import { CommandError } from './errors.js';
import { encode, MAX_MESSAGE_BYTES, parseRequest, type Reply } from './protocol.js';

export type CommandHandler = (cmd: string[]) => Promise<unknown>;

export interface SocketServerOptions {
  path: string;
  handler: CommandHandler;
  /** Remove a stale socket file (fail2ban's -x). */
  force: boolean;
  log?: (level: 'ERROR' | 'WARNING' | 'DEBUG', msg: string) => void;
  /** Called once the path is known to be free, just before listening (e.g. write the pid file,
   *  so that whoever sees the socket answer also finds the pid). */
  beforeListen?: () => void;
  /** Called after a reply has been flushed (e.g. to exit after `stop`). */
  afterReply?: (cmd: string[]) => void;
}

/** Is something answering on this Unix socket path? */
export function socketAlive(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.end();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/**
 * The control socket: mode 0600 in a 0700-or-stricter directory we create, so only root (the
 * owner) can connect. Every malformed, oversized or failing message gets an error reply; nothing
 * a client sends can stop the server except the `stop` command.
 */
export interface ControlSocket {
  readonly server: Server;
  /** Stop listening; open connections get their pending replies, then are closed. */
  close(): Promise<void>;
}

export async function startSocketServer(opts: SocketServerOptions): Promise<ControlSocket> {
  const dir = dirname(opts.path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(opts.path)) {
    if (await socketAlive(opts.path)) {
      throw new LogjailError('E_SOCKET', `Server already running on socket ${opts.path}`);
    }
    if (!opts.force) {
      throw new LogjailError(
        'E_SOCKET',
        `Could not start server. Maybe an old socket file is still present. Try to remove ${opts.path}. If you used fail2ban-client to start the server, adding the -x option will do it`,
      );
    }
    unlinkSync(opts.path);
  }
  const conns = new Set<Socket>();
  const server = createServer((sock) => {
    conns.add(sock);
    sock.once('close', () => conns.delete(sock));
    serveConnection(sock, opts);
  });
  opts.beforeListen?.();
  const oldMask = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(opts.path, 0o600);
  server.on('error', (e) => opts.log?.('ERROR', `control socket: ${e.message}`));
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => { resolve(); });
        // A client waiting for us to go away (e.g. `stop`) must not keep us alive.
        for (const c of conns) c.end();
        setTimeout(() => {
          for (const c of conns) c.destroy();
        }, 200).unref();
      }),
  };
}

/** The end of a message of fail2ban's socket protocol. */
const FAIL2BAN_END = '<F2B_END_COMMAND>';

function serveConnection(sock: Socket, opts: SocketServerOptions): void {
  let buf = '';
  let queue: Promise<void> = Promise.resolve();
  sock.setEncoding('utf8');
  sock.on('error', () => sock.destroy());
  const reply = (r: Reply): void => {
    if (!sock.destroyed) sock.write(encode(r));
  };
  sock.on('data', (chunk: string) => {
    buf += chunk;
    // fail2ban's own client sends pickles ended by this marker, and would wait for ever for a
    // pickled answer: close at once so it fails instead of hanging
    if (buf.includes(FAIL2BAN_END) && !buf.trimStart().startsWith('{')) {
      opts.log?.('WARNING', "control socket: refused a fail2ban client's pickled command (use logjail's fail2ban-client)");
      sock.destroy();
      return;
    }
    if (buf.length > MAX_MESSAGE_BYTES && !buf.includes('\n')) {
      reply({ ok: false, kind: 'Value', error: `message too large (limit ${MAX_MESSAGE_BYTES} bytes)` });
      opts.log?.('WARNING', 'control socket: oversized message dropped');
      buf = '';
      sock.end();
      return;
    }
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() === '') continue;
      queue = queue.then(() => handleLine(line, opts, reply));
    }
  });
}

async function handleLine(line: string, opts: SocketServerOptions, reply: (r: Reply) => void): Promise<void> {
  let cmd: string[];
  try {
    cmd = parseRequest(line).cmd;
  } catch (e) {
    reply({ ok: false, kind: 'Value', error: (e as Error).message });
    return;
  }
  try {
    const value = await opts.handler(cmd);
    reply({ ok: true, value: value ?? null });
    opts.afterReply?.(cmd);
  } catch (e) {
    // the handler logs failures (fail2ban's transmitter line)
    if (e instanceof CommandError)
      reply({ ok: false, kind: e.kind, error: e.message, ...(e.args === undefined ? {} : { args: e.args }) });
    else reply({ ok: false, kind: 'Value', error: e instanceof Error ? e.message : String(e) });
  }
}
