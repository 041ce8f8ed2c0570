/** `fail2ban.conf` (+ .d/ + .local): the server's global options. */
import { readConfigSet } from './configset.js';
import { getOption } from './interpolate.js';
import { parseTime } from './timespec.js';
import type { ServerDef } from './types.js';
import { parseIntOption } from './values.js';

export const SERVER_DEFAULTS: Readonly<Record<string, string>> = {
  loglevel: 'INFO',
  logtarget: '/var/log/fail2ban.log',
  syslogsocket: 'auto',
  socket: '/var/run/fail2ban/fail2ban.sock',
  pidfile: '/var/run/fail2ban/fail2ban.pid',
  dbfile: '/var/lib/fail2ban/fail2ban.sqlite3',
  dbpurgeage: '1d',
  dbmaxmatches: '10',
  allowipv6: 'auto',
};

export function readServer(basedir: string): ServerDef {
  const cs = readConfigSet(basedir, 'fail2ban');
  // Options live in [Definition] (1.0.2) or [DEFAULT] (master); [Definition] sees both.
  const ctx = { cs, section: 'Definition' };
  const get = (k: string): string => {
    const v = getOption(ctx, k);
    return v === undefined || v.trim() === '' ? SERVER_DEFAULTS[k]! : v.trim();
  };
  const where = (k: string) => cs.lookup('Definition', k)?.where;
  const dbfile = get('dbfile');
  return {
    loglevel: get('loglevel'),
    logtarget: get('logtarget'),
    syslogsocket: get('syslogsocket'),
    socket: get('socket'),
    pidfile: get('pidfile'),
    dbfile: dbfile.toLowerCase() === 'none' ? null : dbfile,
    dbpurgeage: parseTime(get('dbpurgeage'), 'dbpurgeage', where('dbpurgeage')),
    dbmaxmatches: parseIntOption(get('dbmaxmatches'), 'dbmaxmatches', where('dbmaxmatches')),
    allowipv6: get('allowipv6'),
  };
}
