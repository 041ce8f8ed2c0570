import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the client finds the socket and pidfile when -s/-p are not given: the `socket` and
 * `pidfile` of fail2ban.conf/.local in the config dir, as fail2ban-client does. A light read
 * on purpose: the client must work even when a jail file is broken.
 */
export function defaultConfDir(): string {
  return process.env.LOGJAIL_CONF ?? '/etc/logjail';
}

export function loadServerDefaults(conf: string): { socket: string; pidfile: string } {
  const out = { socket: '/run/logjail/logjail.sock', pidfile: '/run/logjail/logjail.pid' };
  for (const f of ['fail2ban.conf', 'fail2ban.local']) {
    const p = join(conf, f);
    if (!existsSync(p)) continue;
    let section = '';
    for (const raw of readFileSync(p, 'utf8').split('\n')) {
      const sec = /^\[([^\]]+)\]/.exec(raw);
      if (sec) {
        section = sec[1]!;
        continue;
      }
      if (section !== 'Definition' && section !== 'DEFAULT') continue;
      const kv = /^(socket|pidfile)\s*[=:]\s*(.*?)\s*$/i.exec(raw);
      if (kv) out[kv[1]!.toLowerCase() as 'socket' | 'pidfile'] = kv[2]!;
    }
  }
  return out;
}
