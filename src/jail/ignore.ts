import type { Clock } from '../core/clock.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { canonicalId, canonicalIp, ipFamily, parseNetwork, toBigInt, type Family, type Network } from '../core/ip.js';
import { pyInt, str2sec } from './time-value.js';

/**
 * A jail's ignore rules (anatomy §3.4): ignorecache → ignoreself → exact single IPs →
 * networks / DNS names / raw strings / `file:` lists in the order added → ignorecommand.
 * All I/O (own addresses, DNS, files, the command) is injected.
 */

/** What the ignore rules see of a failure or ticket. */
export interface IgnoreSubject {
  id: string;
  ip: string | null;
  time: number;
  failures: number;
  matches: readonly string[];
  fields: Readonly<Record<string, string>>;
}

/** The fail2ban logger a line comes from (`fail2ban.filter` when not said). */
export type LogSource = 'filter' | 'actions' | 'observer';
export type LogFn = (level: LogLevel, msg: string, source?: LogSource) => void;
export type LogLevel = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';

export interface IgnoreDeps {
  clock: Clock;
  /** This host's addresses (interfaces, localhost, hostname, FQDN) for ignoreself. */
  selfAddresses?: () => Promise<readonly string[]>;
  /** DNS: name → addresses (empty or throw when it does not resolve). */
  resolve?: (name: string) => Promise<readonly string[]>;
  /** Read a `file:` list; may return null for "unchanged since the last read". */
  readFile?: (path: string) => Promise<string | null>;
  /**
   * Run `ignorecommand` for a subject (tag substitution and safe execution belong to the
   * runner); resolves to the exit status: 0 = ignore, 1 = don't, anything else = error.
   */
  runCommand?: (command: string, subject: IgnoreSubject) => Promise<number>;
  /** A name in ignoreip that does not resolve (the daemon warns as fail2ban's DNS cache does); logged when absent. */
  unresolved?: (name: string) => void;
  log?: LogFn;
}

export interface IgnoreOptions {
  ignoreself?: boolean;
  ignoreip?: readonly string[];
  ignorecommand?: string;
  ignorecache?: string | null;
}

/** fail2ban caches resolved names and own addresses for 5 minutes. */
const DNS_TTL = 300;
/** `file:` lists are re-checked at most once a second. */
const FILE_LATENCY = 1;

type Net = Network;

interface Addr {
  fam: Family;
  v: bigint;
}

interface FileState {
  path: string;
  nextCheck: number;
  singles: Set<string>;
  nets: Net[];
  raws: Set<string>;
}

type Entry = { kind: 'net'; text: string; net: Net } | { kind: 'name'; text: string; dns: boolean } | { kind: 'file'; text: string; file: FileState };

interface CacheSpec {
  key: string;
  maxCount: number;
  maxTime: number;
  text: string;
}

export class IgnoreList {
  ignoreself: boolean;
  ignorecommand: string;
  private readonly deps: IgnoreDeps;
  private readonly singles = new Map<string, string>();
  private others: Entry[] = [];
  private readonly dnsCache = new Map<string, { ips: Set<string>; exp: number; pending: Promise<Set<string>> | null }>();
  private selfCache: { ips: Set<string>; exp: number } | null = null;
  private cacheSpec: CacheSpec | null = null;
  private readonly cache = new Map<string, { v: boolean; exp: number }>();

  constructor(deps: IgnoreDeps, opts: IgnoreOptions = {}) {
    this.deps = deps;
    this.ignoreself = opts.ignoreself ?? true;
    this.ignorecommand = opts.ignorecommand ?? '';
    for (const e of opts.ignoreip ?? []) this.add(e);
    this.setCache(opts.ignorecache ?? null);
  }

  /** `addignoreip`: entries split on blanks/commas; exact duplicates are skipped. */
  add(text: string): void {
    for (const part of splitList(text)) {
      const e = parseEntry(part);
      if (e.kind === 'single') {
        if (!this.singles.has(e.ip)) this.singles.set(e.ip, e.ip);
      } else if (!this.others.some((o) => o.text === e.text)) {
        this.others.push(e);
      }
    }
  }

  /** `delignoreip`: false when the entry was not in the list. */
  remove(text: string): boolean {
    const e = parseEntry(text.trim());
    if (e.kind === 'single') return this.singles.delete(e.ip);
    const before = this.others.length;
    this.others = this.others.filter((o) => o.text !== e.text);
    return this.others.length < before;
  }

  clear(): void {
    this.singles.clear();
    this.others = [];
  }

  /** `get <jail> ignoreip`: networks/names/files first, then single addresses (fail2ban's order). */
  entries(): string[] {
    return [...this.others.map((o) => o.text), ...this.singles.values()];
  }

  /** `set <jail> ignorecache key="<ip>", max-count=100, max-time=5m`; empty/null disables. */
  setCache(spec: string | null): void {
    this.cache.clear();
    const text = (spec ?? '').trim();
    if (!text) {
      this.cacheSpec = null;
      return;
    }
    const opts = parseOptions(text.replace(/^\[|\]$/g, ''));
    const key = opts.key;
    if (!key) throw new ConfigError(`ignorecache: missing key in ${JSON.stringify(text)}`);
    this.cacheSpec = {
      key,
      maxCount: opts['max-count'] !== undefined ? pyInt(opts['max-count'], 'ignorecache max-count') : 100,
      maxTime: opts['max-time'] !== undefined ? str2sec(opts['max-time'], 'ignorecache max-time') : 300,
      text,
    };
  }

  getCache(): string | null {
    return this.cacheSpec?.text ?? null;
  }

  /** `get <jail> ignorecache` as fail2ban shows it: [key, max-count, max-time] or null. */
  cacheInfo(): [string, number, number] | null {
    const c = this.cacheSpec;
    return c ? [c.key, c.maxCount, c.maxTime] : null;
  }

  /**
   * Why `s` is ignored ("ip", "dns", "ignoreself rule", "command"; "cache" for a cached
   * decision, which fail2ban does not log), or null when it is not.
   */
  async check(s: IgnoreSubject): Promise<string | null> {
    const now = this.deps.clock.now();
    const spec = this.cacheSpec;
    let key = '';
    if (spec) {
      key = substituteTags(spec.key, s);
      const hit = this.cache.get(key);
      if (hit) {
        if (hit.exp > now) return hit.v ? 'cache' : null;
        this.cache.delete(key);
      }
    }
    const remember = (v: boolean): void => {
      if (spec) this.cacheSet(spec, key, v, now);
    };

    const addrText = canonicalIp(s.ip ?? s.id) ?? canonicalIp(s.id);
    // the numeric form only serves network entries; most jails have none (BigInt per failure)
    const addr = addrText !== null && this.others.length > 0 ? toAddr(addrText) : null;

    if (this.ignoreself && addrText !== null && (await this.selfIps(now)).has(addrText)) {
      remember(true);
      return 'ignoreself rule';
    }
    if (addrText !== null && this.singles.has(addrText)) return 'ip';

    for (const e of this.others) {
      const src = await this.matchEntry(e, s, addrText, addr, now);
      if (src) {
        remember(true);
        return src;
      }
    }

    if (this.ignorecommand && this.deps.runCommand) {
      let ignored = false;
      try {
        const code = await this.deps.runCommand(this.ignorecommand, s);
        // another status is an error, reported by the runner with the command and its output
        if (code === 0) ignored = true;
      } catch (err) {
        this.deps.log?.('ERROR', `ignorecommand ${JSON.stringify(this.ignorecommand)} failed for ${s.id}: ${errorMessage(err)}`);
      }
      remember(ignored);
      return ignored ? 'command' : null;
    }
    remember(false);
    return null;
  }

  /**
   * check() decided on the spot when nothing asynchronous is involved — addresses and networks
   * only, own addresses already known, no cache or command — which is nearly every jail; undefined
   * when check() must run. Saves a promise chain per failure on busy logs.
   */
  checkNow(s: IgnoreSubject): string | null | undefined {
    if (this.cacheSpec !== null || (this.ignorecommand && this.deps.runCommand)) return undefined;
    for (const e of this.others) if (e.kind !== 'net') return undefined;
    const addrText = canonicalIp(s.ip ?? s.id) ?? canonicalIp(s.id);
    if (this.ignoreself && addrText !== null) {
      const self = this.selfCache;
      if (!self || self.exp <= this.deps.clock.now()) return undefined;
      if (self.ips.has(addrText)) return 'ignoreself rule';
    }
    if (addrText === null) return null;
    if (this.singles.has(addrText)) return 'ip';
    if (this.others.length === 0) return null;
    const addr = toAddr(addrText);
    for (const e of this.others) if (e.kind === 'net' && inNet(addr, e.net)) return 'ip';
    return null;
  }

  private async matchEntry(e: Entry, s: IgnoreSubject, addrText: string | null, addr: Addr | null, now: number): Promise<string | null> {
    switch (e.kind) {
      case 'net':
        return addr && inNet(addr, e.net) ? 'ip' : null;
      case 'name':
        // raw ids (<F-ID> values) compare as strings; names are resolved
        if (e.text === s.id || e.text === s.ip) return 'ip';
        if (e.dns && addrText !== null && (await this.resolveCached(e.text, now)).has(addrText)) return 'dns';
        return null;
      case 'file': {
        const f = e.file;
        await this.refreshFile(f, now);
        if (addrText !== null && f.singles.has(addrText)) return 'ip';
        if (addr && f.nets.some((n) => inNet(addr, n))) return 'ip';
        if (f.raws.has(s.id)) return 'ip';
        return null;
      }
    }
  }

  private async refreshFile(f: FileState, now: number): Promise<void> {
    if (now < f.nextCheck || !this.deps.readFile) return;
    f.nextCheck = now + FILE_LATENCY;
    let text: string | null;
    try {
      text = await this.deps.readFile(f.path);
    } catch (err) {
      this.deps.log?.('ERROR', `Unable to read ignoreip file ${f.path}: ${errorMessage(err)}`);
      return;
    }
    if (text === null) return;
    f.singles.clear();
    f.nets = [];
    f.raws.clear();
    for (const line of text.split('\n')) {
      for (const part of splitList(line.replace(/[#;].*$/, ''))) {
        const e = parseEntry(part);
        if (e.kind === 'single') f.singles.add(e.ip);
        else if (e.kind === 'net') f.nets.push(e.net);
        else if (e.kind === 'name') f.raws.add(e.text);
      }
    }
  }

  private async selfIps(now: number): Promise<Set<string>> {
    if (this.selfCache && this.selfCache.exp > now) return this.selfCache.ips;
    let list: readonly string[] = [];
    if (this.deps.selfAddresses) {
      try {
        list = await this.deps.selfAddresses();
      } catch (err) {
        this.deps.log?.('ERROR', `Unable to list own addresses: ${errorMessage(err)}`);
      }
    }
    const ips = canonicalSet(list);
    this.selfCache = { ips, exp: now + DNS_TTL };
    return ips;
  }

  private resolveCached(name: string, now: number): Promise<Set<string>> {
    const hit = this.dnsCache.get(name);
    if (hit) {
      if (hit.pending) return hit.pending;
      if (hit.exp > now) return Promise.resolve(hit.ips);
    }
    const resolve = this.deps.resolve;
    if (!resolve) return Promise.resolve(new Set());
    const pending = resolve(name).then(
      (list) => {
        // fail2ban warns when a name in ignoreip does not resolve (its resolver's words)
        if (list.length === 0) {
          if (this.deps.unresolved) this.deps.unresolved(name);
          else this.deps.log?.('WARNING', `Unable to find a corresponding IP address for ${name}: [Errno -2] Name or service not known`);
        }
        return canonicalSet(list);
      },
      (err: unknown) => {
        this.deps.log?.('WARNING', `Unable to find a corresponding IP address for ${name}: ${errorMessage(err)}`);
        return new Set<string>();
      },
    );
    const entry: { ips: Set<string>; exp: number; pending: Promise<Set<string>> | null } = { ips: new Set(), exp: 0, pending };
    this.dnsCache.set(name, entry);
    return pending.then((ips) => {
      entry.ips = ips;
      entry.exp = this.deps.clock.now() + DNS_TTL;
      entry.pending = null;
      return ips;
    });
  }

  private cacheSet(spec: CacheSpec, key: string, v: boolean, now: number): void {
    const c = this.cache;
    c.delete(key);
    if (c.size >= spec.maxCount) {
      for (const [k, x] of c) if (x.exp <= now) c.delete(k);
      // still full: drop the oldest entries (Map keeps insertion order)
      for (const k of c.keys()) {
        if (c.size < spec.maxCount) break;
        c.delete(k);
      }
    }
    if (spec.maxCount > 0) c.set(key, { v, exp: now + spec.maxTime });
  }
}

// ---- parsing helpers ----

function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((x) => x !== '');
}

type Parsed = { kind: 'single'; ip: string } | Entry;

function parseEntry(text: string): Parsed {
  if (text.startsWith('file:')) {
    const rest = text.slice(5);
    const path = rest.startsWith('/') ? rest.replace(/^\/+/, '/') : rest;
    return { kind: 'file', text, file: { path, nextCheck: -Infinity, singles: new Set(), nets: [], raws: new Set() } };
  }
  // as fail2ban: `[v6]`, a mapped address and a /32 or /128 are single addresses
  const id = canonicalId(text);
  const ip = canonicalIp(id);
  if (ip !== null) return { kind: 'single', ip };
  if (id.includes('/')) {
    const net = parseNet(id);
    if (net) return { kind: 'net', text: net.text, net };
    // a prefix longer than the address: fail2ban 1.0.2 lists the address alone (among the
    // networks), and it matches only that id
    const long = /^(.+)\/(\d+)$/.exec(id);
    const addr = long ? canonicalIp(long[1]!) : null;
    if (addr !== null && Number(long![2]) > (addr.includes(':') ? 128 : 32)) return { kind: 'name', text: addr, dns: false };
  }
  // something that could be a host name gets resolved; other strings only compare as ids
  return { kind: 'name', text, dns: /^(?=.*[A-Za-z])[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(text) };
}

/** `a.b.c.d/nn`, `a.b.c.d/m.m.m.m`, `v6/nn` → network with its masked text form (`10.0.0.0/8`). */
export function parseNet(text: string): Net | null {
  return parseNetwork(text);
}

function toAddr(canonical: string): Addr {
  return { fam: ipFamily(canonical)!, v: toBigInt(canonical)! };
}

function inNet(a: Addr, n: Net): boolean {
  return a.fam === n.fam && (a.v & n.mask) === n.base;
}

/** Matcher for "is this id inside that network" (unban by CIDR); null when not a network. */
export function networkMatcher(text: string): ((id: string) => boolean) | null {
  if (!text.includes('/')) return null;
  const net = parseNet(text);
  if (!net) return null;
  return (id) => {
    const c = canonicalIp(id);
    return c !== null && inNet(toAddr(c), net);
  };
}

function canonicalSet(list: readonly string[]): Set<string> {
  const s = new Set<string>();
  for (const x of list) {
    const c = canonicalIp(x);
    if (c !== null) s.add(c);
  }
  return s;
}

/** `key="<ip>", max-count=100, max-time=5m` → { key: '<ip>', 'max-count': '100', … }. */
function parseOptions(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^,]*))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while (last < text.length && (m = re.exec(text)) !== null) {
    out[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? m[4] ?? '').trim();
    last = re.lastIndex;
    if (m[0] === '') break;
  }
  // fail2ban's option parser: where its unparsable rest starts, and (at most 25 chars of) it
  if (text.slice(last).trim() !== '')
    throw new ConfigError(`expected option, wrong syntax at ${last}: ${text.slice(last, last + 25)}`);
  return out;
}

/** Ticket tags for cache keys: <ip>, <fid>, <failures>, <time>, <matches>, <F-NAME>/<name> fields. */
function substituteTags(tpl: string, s: IgnoreSubject): string {
  return tpl.replace(/<([^<>]+)>/g, (all, tag: string) => {
    switch (tag) {
      case 'ip':
        return s.ip ?? s.id;
      case 'fid':
        return s.id;
      case 'failures':
        return String(s.failures);
      case 'time':
        return String(s.time);
      case 'matches':
        return s.matches.join('\n');
    }
    const name = (tag.startsWith('F-') ? tag.slice(2) : tag).toLowerCase();
    return s.fields[name] ?? all;
  });
}
