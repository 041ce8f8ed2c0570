/**
 * fail2ban's database schema, version 4 (anatomy §6). Table and index definitions must stay
 * identical so fail2ban and logjail can open each other's files.
 */

export const SCHEMA_VERSION = 4;

export const TABLES = {
  fail2banDb: 'CREATE TABLE IF NOT EXISTS fail2banDb(version INTEGER);',
  jails:
    'CREATE TABLE IF NOT EXISTS jails(name TEXT NOT NULL UNIQUE, enabled INTEGER NOT NULL DEFAULT 1);' +
    'CREATE INDEX IF NOT EXISTS jails_name ON jails(name);',
  logs:
    'CREATE TABLE IF NOT EXISTS logs(jail TEXT NOT NULL, path TEXT, firstlinemd5 TEXT, lastfilepos INTEGER DEFAULT 0, ' +
    'FOREIGN KEY(jail) REFERENCES jails(name) ON DELETE CASCADE, UNIQUE(jail, path),UNIQUE(jail, path, firstlinemd5));' +
    'CREATE INDEX IF NOT EXISTS logs_path ON logs(path);' +
    'CREATE INDEX IF NOT EXISTS logs_jail_path ON logs(jail, path);',
  bans:
    'CREATE TABLE IF NOT EXISTS bans(jail TEXT NOT NULL, ip TEXT, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL, ' +
    'bancount INTEGER NOT NULL default 1, data JSON, FOREIGN KEY(jail) REFERENCES jails(name) );' +
    'CREATE INDEX IF NOT EXISTS bans_jail_timeofban_ip ON bans(jail, timeofban);' +
    'CREATE INDEX IF NOT EXISTS bans_jail_ip ON bans(jail, ip);' +
    'CREATE INDEX IF NOT EXISTS bans_ip ON bans(ip);',
  bips:
    'CREATE TABLE IF NOT EXISTS bips(ip TEXT NOT NULL, jail TEXT NOT NULL, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL, ' +
    'bancount INTEGER NOT NULL default 1, data JSON, PRIMARY KEY(ip, jail), FOREIGN KEY(jail) REFERENCES jails(name) );' +
    'CREATE INDEX IF NOT EXISTS bips_timeofban ON bips(timeofban);' +
    'CREATE INDEX IF NOT EXISTS bips_ip ON bips(ip);',
} as const;

/** All tables and indexes, creating only what is missing. */
export const CREATE_ALL = Object.values(TABLES).join('\n');

export const INDEXES = [
  'jails_name',
  'logs_path',
  'logs_jail_path',
  'bans_jail_timeofban_ip',
  'bans_jail_ip',
  'bans_ip',
  'bips_timeofban',
  'bips_ip',
] as const;
