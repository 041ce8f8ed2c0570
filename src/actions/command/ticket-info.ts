/**
 * Dynamic tag values for one ticket (fail2ban's ActionInfo). Only the tags a command actually uses
 * are computed, so DNS and store lookups happen only for actions that ask for them.
 */
import { hostname } from 'node:os';
import { promises as dns } from 'node:dns';
import type { BanTicket } from '../../core/failure.js';
import { ipFamily, ipv6Groups } from '../../core/ip.js';
import type { JailHandle } from '../action.js';
import type { FamilyKey } from './tags.js';

/** Data an action may need from outside: the ban store, DNS. All optional. */
export interface TicketLookups {
  /** Merged failures of this id from the store: all jails, or only this jail. */
  ipInfo?(t: BanTicket, jailOnly: boolean): Promise<{ matches: string[]; failures: number } | null>;
  /** Reverse DNS for `<ip-host>`. */
  hostname?(ip: string): Promise<string | null>;
  /** `<fq-hostname>`. */
  fqdn?(): Promise<string>;
}

export function familyOf(t: Pick<BanTicket, 'ip' | 'id'>): FamilyKey {
  return ipFamily(t.ip ?? t.id) ?? '';
}

/** PTR form with trailing dot: 192.0.2.1 → `1.2.0.192.`. */
export function ipReverse(addr: string): string {
  const fam = ipFamily(addr);
  if (fam === 'inet4') return `${addr.split('.').reverse().join('.')}.`;
  if (fam === 'inet6') {
    const nibbles = ipv6Groups(addr)!
      .map((g) => g.toString(16).padStart(4, '0'))
      .join('')
      .split('');
    return `${nibbles.reverse().join('.')}.`;
  }
  return '';
}

/** Python's str() of a float-valued epoch (`1700000000.0`). */
export function pyFloat(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

function pyStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(q === "'" ? /'/g : /"/g, `\\${q}`);
  return `${q}${body}${q}`;
}

/**
 * `<bancount>`: the bans of this id including this one, as fail2ban counts them when the ticket
 * enters the ban list (`banCount` holds the earlier bans). A restored ban is not counted again;
 * 1.0.2 adds one to the stored count on restore, so the same ban shows one more after a restart.
 */
export function banCountOf(t: BanTicket): number {
  return t.banCount + 1;
}

/** `<time>`: Python's str() of the ticket time; a restored one is the database's integer. */
export function ticketTime(t: BanTicket): string {
  return t.restored && Number.isInteger(t.time) ? String(t.time) : pyFloat(t.time);
}

/** fail2ban's `repr(ticket)`. */
export function rawTicket(t: BanTicket): string {
  return (
    `BanTicket: ip=${t.ip ?? t.id} time=${ticketTime(t)} bantime=${t.bantime} bancount=${banCountOf(t)} ` +
    `#attempts=${t.failures} matches=[${t.matches.map(pyStr).join(', ')}]`
  );
}

let fqdnCache: Promise<string> | undefined;

async function defaultFqdn(): Promise<string> {
  const short = hostname();
  try {
    const { address } = await dns.lookup(short);
    const { hostname: name } = await dns.lookupService(address, 0);
    return name.includes('.') ? name : short;
  } catch {
    return short;
  }
}

export interface InfoContext {
  jail: JailHandle;
  lookups: TicketLookups;
  now: number;
}

/**
 * Values for the tags in `used`. `t = null` is the pseudo-ticket of start/stop/flush/check:
 * only family, time and jail tags are set, ticket tags are empty.
 */
export async function ticketValues(
  t: BanTicket | null,
  family: FamilyKey,
  used: ReadonlySet<string>,
  ctx: InfoContext,
): Promise<Map<string, string>> {
  const v = new Map<string, string>();
  const want = (tag: string): boolean => used.has(tag);
  const ip = t ? (t.ip ?? t.id) : '';
  v.set('family', family);
  v.set('time', t ? ticketTime(t) : pyFloat(ctx.now));
  if (want('ip')) v.set('ip', ip);
  if (want('fid')) v.set('fid', t ? t.id : '');
  if (want('ip-rev')) v.set('ip-rev', ipReverse(ip));
  if (want('failures')) v.set('failures', t ? String(t.failures) : '');
  if (want('bantime')) v.set('bantime', t ? String(Math.trunc(t.bantime)) : '');
  if (want('bancount')) v.set('bancount', t ? String(banCountOf(t)) : '');
  if (want('matches')) v.set('matches', t ? t.matches.join('\n') : '');
  if (want('restored')) v.set('restored', t?.restored ? '1' : '0');
  if (want('raw-ticket')) v.set('raw-ticket', t ? rawTicket(t) : '');
  if (want('ip-host')) {
    const look = (a: string): Promise<string | null> =>
      ctx.lookups.hostname ? ctx.lookups.hostname(a) : defaultReverse(a);
    v.set('ip-host', t && ipFamily(ip) ? ((await look(ip).catch(() => null)) ?? '') : '');
  }
  for (const [tag, jailOnly] of [
    ['ipmatches', false],
    ['ipjailmatches', true],
    ['ipfailures', false],
    ['ipjailfailures', true],
  ] as const) {
    if (!want(tag)) continue;
    const info = t && ctx.lookups.ipInfo ? await ctx.lookups.ipInfo(t, jailOnly).catch(() => null) : null;
    const merged = info ?? (t ? { matches: t.matches, failures: t.failures } : null);
    if (!merged) v.set(tag, '');
    else v.set(tag, tag.endsWith('matches') ? merged.matches.join('\n') : String(merged.failures));
  }
  if ([...used].some((u) => u.startsWith('jail.'))) {
    const s = ctx.jail.info();
    v.set('jail.name', ctx.jail.name);
    v.set('jail.banned', String(s.banned));
    v.set('jail.banned_total', String(s.bannedTotal));
    v.set('jail.found', String(s.found));
    v.set('jail.found_total', String(s.foundTotal));
  }
  if (want('sh-hostname')) v.set('sh-hostname', hostname());
  if (want('fq-hostname')) {
    const f = ctx.lookups.fqdn ? ctx.lookups.fqdn() : (fqdnCache ??= defaultFqdn());
    v.set('fq-hostname', await f);
  }
  return v;
}

async function defaultReverse(ip: string): Promise<string | null> {
  const names = await dns.reverse(ip);
  return names[0] ?? null;
}
