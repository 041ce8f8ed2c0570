import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The config dir when -c is not given, for every tool: $LOGJAIL_CONF, else /etc/logjail, else
 * /etc/fail2ban when only that exists. So a fail2ban user who puts our binaries in place of
 * fail2ban's and keeps the distribution's unit (`fail2ban-server -xf start`, no -c) and
 * /etc/fail2ban runs on that tree unchanged, while an install.sh install (/etc/logjail) has
 * server, client and regex tool agree on its config.
 */
export function defaultConfDir(): string {
  if (process.env.LOGJAIL_CONF) return process.env.LOGJAIL_CONF;
  if (!existsSync('/etc/logjail') && existsSync('/etc/fail2ban')) return '/etc/fail2ban';
  return '/etc/logjail';
}

/** What fail2ban's client reads early (for every command), with the defaults it takes. */
const EARLY = ['socket', 'pidfile', 'loglevel', 'logtarget', 'syslogsocket'] as const;
type EarlyKey = (typeof EARLY)[number];

export interface ServerDefaults {
  socket: string;
  pidfile: string;
  /** The early options fail2ban.conf/.local do not set, with the default taken (when fail2ban.conf exists). */
  missing: [string, string][];
}

/**
 * Where the client finds the socket and pidfile when -s/-p are not given: the `socket` and
 * `pidfile` of fail2ban.conf/.local in the config dir, as fail2ban-client does. A light read
 * on purpose: the client must work even when a jail file is broken.
 */
export function loadServerDefaults(conf: string): ServerDefaults {
  const found: Partial<Record<EarlyKey, string>> = {};
  let any = false;
  for (const f of ['fail2ban.conf', 'fail2ban.local']) {
    const p = join(conf, f);
    if (!existsSync(p)) continue;
    any = true;
    let section = '';
    for (const raw of readFileSync(p, 'utf8').split('\n')) {
      const sec = /^\[([^\]]+)\]/.exec(raw);
      if (sec) {
        section = sec[1]!;
        continue;
      }
      if (section !== 'Definition' && section !== 'DEFAULT') continue;
      const kv = /^(socket|pidfile|loglevel|logtarget|syslogsocket)\s*[=:]\s*(.*?)\s*$/i.exec(raw);
      if (kv) found[kv[1]!.toLowerCase() as EarlyKey] = kv[2]!;
    }
  }
  const dflt: Record<EarlyKey, string> = {
    socket: '/run/logjail/logjail.sock',
    pidfile: '/run/logjail/logjail.pid',
    loglevel: 'INFO',
    logtarget: '/var/log/fail2ban.log',
    syslogsocket: 'auto',
  };
  const missing: [string, string][] = any ? EARLY.filter((k) => found[k] === undefined).map((k) => [k, dflt[k]]) : [];
  return { socket: found.socket ?? dflt.socket, pidfile: found.pidfile ?? dflt.pidfile, missing };
}
