import { createConnection } from 'node:net';
import { LogjailError } from '../core/errors.js';
import { encode, parseReply, type Reply } from './protocol.js';

/** Send commands over one connection; replies in order. */
export function sendCommands(path: string, cmds: string[][], timeoutMs = 30_000): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    const replies: Reply[] = [];
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new LogjailError('E_TIMEOUT', `Timeout waiting for the server on ${path}`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.once('connect', () => {
      for (const c of cmds) sock.write(encode({ cmd: c }));
    });
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        replies.push(parseReply(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
        if (replies.length === cmds.length) {
          clearTimeout(timer);
          sock.end();
          resolve(replies);
        }
      }
    });
    sock.once('error', () => {
      clearTimeout(timer);
      reject(
        new LogjailError(
          'E_SOCKET',
          `Failed to access socket path: ${path}. Is fail2ban running?`,
          undefined,
        ),
      );
    });
    sock.once('close', () => {
      clearTimeout(timer);
      if (replies.length < cmds.length)
        reject(new LogjailError('E_SOCKET', `Connection to ${path} closed by the server`));
    });
  });
}

export async function sendCommand(path: string, cmd: string[], timeoutMs?: number): Promise<Reply> {
  const [r] = await sendCommands(path, [cmd], timeoutMs);
  return r!;
}
