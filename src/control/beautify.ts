import { pyPrint, pyRepr } from './pyrepr.js';

/**
 * Turns a server reply into the exact text fail2ban-client 1.0.2 prints for that command
 * (captured outputs live in test/fixtures/fail2ban-client-1.0.2.txt).
 */

/** A status tree: labelled values, or labelled sub-trees. */
export type StatusPair = [string, StatusValue];
export type StatusValue = string | number | string[] | StatusPair[];

export interface AllStatus {
  server: StatusPair[];
  jails: [string, StatusPair[]][];
}

const glyph = (last: boolean): string => (last ? '`-' : '|-');
const indent = (last: boolean): string => (last ? '   ' : '|  ');

function flat(v: StatusValue): string {
  return Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? x.join(' ') : x)).join(' ') : String(v);
}

function isTree(v: StatusValue): v is StatusPair[] {
  return Array.isArray(v) && v.length > 0 && Array.isArray(v[0]);
}

/** The lines below "Status for the jail: X". */
export function jailTree(tree: StatusPair[]): string[] {
  const out: string[] = [];
  tree.forEach(([label, value], n) => {
    const last = n === tree.length - 1;
    out.push(`${glyph(last)} ${label}`);
    const kids = isTree(value) ? value : [];
    kids.forEach(([l2, v2], m) => {
      out.push(`${indent(last)}${glyph(m === kids.length - 1)} ${l2}:\t${flat(v2)}`);
    });
  });
  return out;
}

function serverTree(pairs: StatusPair[], more: boolean): string[] {
  return pairs.map(([l, v], n) => `${glyph(!more && n === pairs.length - 1)} ${l}:\t${flat(v)}`);
}

export function beautify(cmd: readonly string[], value: unknown): string {
  const [c0, c1, c2] = cmd;
  switch (c0) {
    case 'ping':
      return `Server replied: ${String(value)}`;
    case 'version':
      return String(value);
    case 'start':
      return 'Jail started';
    case 'stop':
      return cmd.length === 1 ? 'Shutdown successful' : 'Jail stopped';
    case 'add':
      return `Added jail ${String(value)}`;
    case 'flushlogs':
      return `logs: ${String(value)}`;
    case 'echo':
      return (value as string[]).join(' ');
    case 'multi-set':
      // fail2ban's beautifier has no form for it and falls back to the plain value (True)
      return pyPrint(value);
    case 'status': {
      if (cmd.includes('--all')) {
        const all = value as AllStatus;
        const out = ['Status', ...serverTree(all.server, true), '`- Status for the jails:'];
        all.jails.forEach(([name, tree], n) => {
          const last = n === all.jails.length - 1;
          out.push(`   ${glyph(last)} Jail: ${name}`);
          for (const l of jailTree(tree)) out.push(`   ${indent(last)}${l}`);
        });
        return out.join('\n');
      }
      if (cmd.length > 1)
        return [`Status for the jail: ${c1!}`, ...jailTree(value as StatusPair[])].join('\n');
      return ['Status', ...serverTree(value as StatusPair[], false)].join('\n');
    }
  }
  if (c1 === undefined) return pyPrint(value);
  switch (c1) {
    case 'syslogsocket':
      return `Current syslog socket is:\n\`- ${String(value)}`;
    case 'logtarget':
      return `Current logging target is:\n\`- ${String(value)}`;
    case 'loglevel':
      return `Current logging level is ${pyRepr(value)}`;
    case 'dbfile':
      return value === null
        ? 'Database currently disabled'
        : `Current database file is:\n\`- ${pyPrint(value)}`;
    case 'dbpurgeage':
      return value === null
        ? 'Database currently disabled'
        : `Current database purge age is:\n\`- ${Math.trunc(Number(value))}seconds`;
  }
  if (c2 === undefined) return pyPrint(value);
  const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);
  const tree = (items: string[]): string =>
    items.map((x, i) => `${glyph(i === items.length - 1)} ${x}`).join('\n');
  switch (c2) {
    case 'logpath':
    case 'addlogpath':
    case 'dellogpath': {
      const l = list(value);
      return l.length === 0 ? 'No file is currently monitored' : `Current monitored log file(s):\n${tree(l)}`;
    }
    case 'logencoding':
      return `Current log encoding is set to:\n${pyPrint(value)}`;
    case 'journalmatch':
    case 'addjournalmatch':
    case 'deljournalmatch': {
      const l = value as string[][];
      return l.length === 0
        ? 'No journal match filter set'
        : `Current match filter:\n${l.map((x) => x.join(' ')).join(' + ')}`;
    }
    case 'datepattern': {
      if (value === null) return 'Current date pattern set to: Not set/required';
      const [pat, name] = value as [string | null, string];
      return `Current date pattern set to: ${pat === null ? name : `${pat} (${name})`}`;
    }
    case 'ignoreip':
    case 'addignoreip':
    case 'delignoreip': {
      const l = list(value);
      return l.length === 0
        ? 'No IP address/network is ignored'
        : `These IP addresses/networks are ignored:\n${tree(l)}`;
    }
    case 'failregex':
    case 'addfailregex':
    case 'delfailregex':
    case 'ignoreregex':
    case 'addignoreregex':
    case 'delignoreregex': {
      const l = list(value);
      if (l.length === 0) return 'No regular expression is defined';
      return `The following regular expression are defined:\n${l.map((x, i) => `${glyph(i === l.length - 1)} [${i}]: ${x}`).join('\n')}`;
    }
    case 'actions': {
      const l = list(value);
      return l.length === 0
        ? `No actions for jail ${c1}`
        : `The jail ${c1} has the following actions:\n${l.join(', ')}`;
    }
    case 'actionproperties':
    case 'actionmethods': {
      const l = list(value);
      const what = c2 === 'actionproperties' ? 'properties' : 'methods';
      return l.length === 0
        ? `No ${what} for jail ${c1} action ${cmd[3] ?? ''}`
        : `The jail ${c1} action ${cmd[3] ?? ''} has the following ${what}:\n${l.join(', ')}`;
    }
    case 'banip':
      if (c0 === 'get' && Array.isArray(value)) {
        let sep = cmd.length <= 3 ? ' ' : cmd[3]!;
        if (sep === '--with-time') sep = '\n';
        return (value as string[]).join(sep);
      }
  }
  return pyPrint(value);
}

/** `--json`: status trees become objects with snake_case keys; other values pass through. */
export function toJson(cmd: readonly string[], value: unknown): unknown {
  const key = (l: string): string =>
    l
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '');
  const conv = (pairs: StatusPair[]): Record<string, unknown> =>
    Object.fromEntries(pairs.map(([l, v]) => [key(l), isTree(v) ? conv(v) : splitList(l, v)]));
  const splitList = (label: string, v: StatusValue): unknown =>
    label === 'Jail list' && typeof v === 'string' ? (v === '' ? [] : v.split(', ')) : v;
  // a float findtime travels as its Python text (`90.0`)
  if ((cmd[0] === 'get' || cmd[0] === 'set') && cmd[2] === 'findtime' && typeof value === 'string') return Number(value);
  if (cmd[0] === 'status') {
    if (cmd.includes('--all')) {
      const all = value as AllStatus;
      return { ...conv(all.server), jails: Object.fromEntries(all.jails.map(([n, t]) => [n, conv(t)])) };
    }
    return { ...(cmd.length > 1 ? { jail: cmd[1] } : {}), ...conv(value as StatusPair[]) };
  }
  return value;
}
