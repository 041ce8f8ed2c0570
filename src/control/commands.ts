import type { ServerApi, JailControl } from './api.js';
import type { StatusPair } from './beautify.js';
import { CommandError, invalidCommand, missingArgument, unknownJail } from './errors.js';

/**
 * fail2ban's command vocabulary (anatomy §5.4), dispatched onto a ServerApi.
 * The socket, the tests and the config reload all go through here.
 */
const SERVER_KEYS = new Set([
  'loglevel',
  'logtarget',
  'syslogsocket',
  'dbfile',
  'dbmaxmatches',
  'dbpurgeage',
  'allowipv6',
  'thread',
]);

/** A JSON list of strings sent as one argument (the socket stringifies lists), else the arguments. */
function listArg(rest: readonly string[]): string[] {
  const v = rest.length === 1 ? jsonOf(rest[0]!) : undefined;
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : [...rest];
}

/** `[[key, value], …]` sent as one argument, else the arguments as one key and its value. */
function pairsArg(rest: readonly string[]): string[][] {
  const v = rest.length === 1 ? jsonOf(rest[0]!) : undefined;
  const scalar = (x: unknown): boolean => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
  if (Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length > 0 && p.every(scalar)))
    return (v as unknown[][]).map((p) => p.map(String));
  if (rest.length === 0) throw missingArgument();
  return [[...rest]];
}

function jsonOf(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

export async function execute(api: ServerApi, cmd: readonly string[]): Promise<unknown> {
  const [c0, ...args] = cmd;
  const jail = (name: string | undefined): JailControl => {
    if (name === undefined) throw missingArgument();
    const j = api.jail(name);
    if (!j) throw unknownJail(name);
    return j;
  };
  switch (c0) {
    case 'ping':
      return 'pong';
    case 'echo':
      return args;
    case 'version':
      return api.version();
    case 'sleep':
      if (args[0] === undefined) throw missingArgument();
      await new Promise((r) => setTimeout(r, Math.min(Number(args[0]), 60) * 1000));
      return null;
    case 'status': {
      if (args.includes('--all')) return api.statusAll(args.find((a) => a !== '--all') ?? 'basic');
      if (args.length === 0) {
        const names = api.jailNames();
        const pairs: StatusPair[] = [
          ['Number of jail', names.length],
          ['Jail list', names.join(', ')],
        ];
        return pairs;
      }
      if (args.length > 2) throw new CommandError('Invalid', 'Invalid command (no status)');
      return jail(args[0]).status(args[1] ?? 'basic');
    }
    case 'server-status':
      return 'Server ready';
    case 'banned': {
      const names = api.jailsInOrder();
      if (args.length === 0) return names.map((n) => ({ [n]: jail(n).bannedIds() }));
      return args.map((ip) => names.filter((n) => jail(n).isBanned(ip)));
    }
    case 'unban':
      if (args.length === 0) throw invalidCommand();
      return api.unban(args[0] === '--all' ? 'all' : args);
    case 'stop':
      if (args.length === 0) {
        // Reply first, then stop: the client waits for our answer and then for the socket to go.
        api.scheduleShutdown();
        return null;
      }
      jail(args[0]);
      await api.stopJail(args[0]!);
      return null;
    case 'add':
      if (args.length === 0) throw missingArgument();
      if (args.length > 2) throw invalidCommand();
      return api.addJailByCommand(args[0]!, args[1] ?? 'auto');
    case 'start':
      if (args.length === 0) throw missingArgument();
      await api.startJail(args[0]!);
      return null;
    case 'restart':
    case 'reload': {
      const flags = new Set(args.filter((a) => a.startsWith('--')));
      const rest = args.filter((a) => !a.startsWith('--'));
      const target = rest[0] ?? null;
      if (target !== null && !flags.has('--if-exists') && !api.jail(target) && c0 === 'restart')
        throw unknownJail(target);
      await api.reload({
        jail: target,
        restart: c0 === 'restart' || flags.has('--restart'),
        unban: flags.has('--unban'),
        all: flags.has('--all'),
        ifExists: flags.has('--if-exists'),
      });
      return 'OK';
    }
    case 'flushlogs':
      return api.flushLogs();
    case 'get': {
      // fail2ban reads a server option's name first (further words are ignored), then the jail
      // option's: a missing one is an IndexError before the jail is even looked up
      const [key, ...rest] = args;
      if (key === undefined) throw missingArgument();
      if (SERVER_KEYS.has(key)) return api.getServer(key);
      const [jkey, ...jargs] = rest;
      if (jkey === undefined) throw missingArgument();
      return jail(key).get(jkey, jargs);
    }
    case 'multi-set': {
      // the start-up stream's form (`-d` prints it): regex lists, an action's [[key, value], …]
      const [name, key, ...rest] = args;
      if (key === undefined) throw missingArgument();
      const j = jail(name);
      if (key === 'addfailregex' || key === 'addignoreregex') {
        for (const v of listArg(rest)) await j.set(key, [v]);
        return true;
      }
      if (key === 'action') {
        const [act, ...pairs] = rest;
        if (act === undefined) throw missingArgument();
        for (const p of pairsArg(pairs)) await j.set('action', [act, ...p]);
        return true;
      }
      return j.set(key, rest);
    }
    case 'set': {
      // as `get`: names first, then the jail; a server option takes its first value
      const [key, ...rest] = args;
      if (key === undefined) throw missingArgument();
      if (SERVER_KEYS.has(key)) {
        if (rest[0] === undefined) throw missingArgument();
        return api.setServer(key, rest[0]);
      }
      const [jkey, ...jargs] = rest;
      if (jkey === undefined) throw missingArgument();
      return jail(key).set(jkey, jargs);
    }
    default:
      throw invalidCommand();
  }
}
