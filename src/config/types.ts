/**
 * What the config reader produces: fully resolved definitions, ready for the server.
 * `%(x)s` interpolation and config-level `<tag>` substitution are done; runtime tags
 * (`<HOST>`, `<ip>`, `<F-USER>` …) are left in place for the filter engine and actions.
 */

export interface Where {
  file: string;
  line: number;
}

/** A filter with the jail's overrides and options (mode, logtype …) applied. */
export interface FilterDef {
  /** Filter name as written in the jail (`sshd`), without parameters. */
  name: string;
  /** The main file it was read from (for error messages). */
  file: string;
  prefregex: string | null;
  /** One entry per regex line, with its origin for error messages. */
  failregex: { regex: string; where: Where }[];
  ignoreregex: { regex: string; where: Where }[];
  maxlines: number;
  /** Raw datepattern value (may hold several lines), null = default detectors. */
  datepattern: string | null;
  /** One entry per journalmatch line. */
  journalmatch: string[];
  usedns: string | null;
  /** Every option of the filter after interpolation (lower-case keys). */
  options: Record<string, string>;
  /** Where `prefregex` and `datepattern` were given, for their compile errors. */
  optionWhere?: { prefregex?: Where | undefined; datepattern?: Where | undefined };
}

export interface ActionDef {
  /** Action identifier (`actname`): the file name, suffixed when `name` differs from the jail. */
  actname: string;
  /** Action file base name (`iptables-multiport`). */
  file: string;
  /**
   * Every option after `%()s` interpolation: [Definition] + [Init] + passed params
   * (lower-case keys; commands like `actionban` included). Tags are still unresolved.
   */
  options: Record<string, string>;
  /** Family-conditional overrides: options['inet6'] = { blocktype: '…' } from `[Init?family=inet6]`. */
  conditional: Record<string, Record<string, string>>;
  /**
   * Names of the passed parameters and `[Init]` keys (conditional ones as `key?family=inet6`), in
   * fail2ban's order: what its client sends as action properties besides the commands.
   */
  initKeys?: string[];
  /**
   * The command options (`actionban` …) after config-level tag substitution, as fail2ban's client
   * sends them and `get <jail> action <act> <cmd>` shows them (runtime tags like `<ip>` remain).
   */
  commands?: Record<string, string>;
}

export interface LogPathDef {
  /** The glob/path as written. */
  pattern: string;
  position: 'head' | 'tail';
}

export interface IncrementDef {
  enabled: boolean;
  factor: number;
  formula: string | null;
  multipliers: number[];
  maxtime: number | null;
  rndtime: number | null;
  overalljails: boolean;
}

export interface JailDef {
  name: string;
  enabled: boolean;
  /** `auto` | `pyinotify` | `polling` | `systemd` (params dropped into backendOptions). */
  backend: string;
  backendOptions: Record<string, string>;
  filter: FilterDef | null;
  logpath: LogPathDef[];
  logencoding: string;
  logtimezone: string | null;
  maxretry: number;
  maxmatches: number;
  findtime: number;
  /** Seconds; negative = permanent. */
  bantime: number;
  increment: IncrementDef;
  ignoreself: boolean;
  ignoreip: string[];
  ignorecommand: string;
  usedns: string;
  actions: ActionDef[];
  /** All jail options after interpolation, for `get` and pass-through `set`. */
  options: Record<string, string>;
  where: Where;
}

export interface ServerDef {
  loglevel: string;
  logtarget: string;
  syslogsocket: string;
  socket: string;
  pidfile: string;
  /** null when `dbfile = None`. */
  dbfile: string | null;
  dbpurgeage: number;
  dbmaxmatches: number;
  allowipv6: string;
}

export interface FullConfig {
  basedir: string;
  server: ServerDef;
  /** Every jail section (enabled or not), in file order. */
  jails: JailDef[];
}
