/**
 * Wire protocol between our client and server: one JSON object per line over a Unix socket.
 * fail2ban uses Python pickle; speaking pickle would let the stock client talk to us but would
 * also mean unpickling untrusted input. We chose JSON and ship our own `fail2ban-client`.
 *
 *   request:  {"cmd": ["status", "sshd"]}\n
 *   reply:    {"ok": true, "value": …}\n   |   {"ok": false, "kind": "UnknownJail", "error": "sshd"}\n
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface Request {
  cmd: string[];
}

/** `args`: the error's Python args tuple when it is not `(error,)` (fail2ban-client logs it). */
export type Reply = { ok: true; value: unknown } | { ok: false; kind: string; error: string; args?: string };

/** Parse one request line; throws with a short reason on anything malformed. */
export function parseRequest(line: string): Request {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    throw new Error('malformed request: not JSON');
  }
  if (typeof msg !== 'object' || msg === null || !('cmd' in msg))
    throw new Error('malformed request: no "cmd"');
  const cmd = msg.cmd;
  if (!Array.isArray(cmd) || cmd.length === 0 || cmd.length > 100_000) {
    throw new Error('malformed request: "cmd" must be a non-empty list');
  }
  return { cmd: cmd.map((x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x))) };
}

export function parseReply(line: string): Reply {
  const r = JSON.parse(line) as Reply;
  if (typeof r !== 'object' || typeof r.ok !== 'boolean') throw new Error('malformed reply from server');
  return r;
}

export function encode(obj: Request | Reply): string {
  return JSON.stringify(obj) + '\n';
}
