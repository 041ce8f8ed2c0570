import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendCommand } from './client.js';
import { startSocketServer, type ControlSocket } from './socket-server.js';

describe('control socket and fail2ban’s own client', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lj-sock-'));
  const path = join(dir, 's.sock');
  const logged: string[] = [];
  let ctl: ControlSocket;

  beforeAll(async () => {
    ctl = await startSocketServer({
      path,
      force: false,
      handler: (cmd) => Promise.resolve(cmd),
      log: (level, msg) => logged.push(`${level} ${msg}`),
    });
  });
  afterAll(async () => {
    await ctl.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes at once on a pickled command (fail2ban-client would wait for ever for a pickled answer)', async () => {
    // what fail2ban-client 1.0.2 sends for `ping`: a protocol-4 pickle of ['ping'] and the end marker
    const pickled = Buffer.concat([
      Buffer.from('80049509000000000000005d948c0470696e6794612e', 'hex'),
      Buffer.from('<F2B_END_COMMAND>'),
    ]);
    const closed = await new Promise<string>((resolve) => {
      const s = createConnection(path, () => s.write(pickled));
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('close', () => {
        resolve(got);
      });
      s.on('error', () => undefined);
    });
    expect(closed).toBe('');
    expect(logged).toEqual([
      "WARNING control socket: refused a fail2ban client's pickled command (use logjail's fail2ban-client)",
    ]);
  });

  it('still answers a JSON line that carries the marker as an argument', async () => {
    expect(await sendCommand(path, ['echo', '<F2B_END_COMMAND>'])).toEqual({
      ok: true,
      value: ['echo', '<F2B_END_COMMAND>'],
    });
  });
});
