/**
 * Failure-id extraction from the captured groups of a match (fail2ban order):
 * ip4 (+cidr) → ip6 (+cidr) → dns → fid. When both fid and an address were captured
 * and differ, the id is the fid and the address is kept as `ip`.
 */
import { canonicalIp, ipFamily, toBigInt } from '../core/ip.js';

export type DnsMode = 'yes' | 'warn' | 'no' | 'raw';

export type FailureIdResult =
  /** A usable id. `resolveDns` set: `id` is a host name the daemon must resolve. */
  | { kind: 'id'; id: string; ip: string | null; resolveDns?: 'yes' | 'warn' }
  /** No id yet (multi-line session waiting for its address). */
  | { kind: 'pending' }
  /** A host name that usedns=no forbids resolving, or no id group captured at all. */
  | { kind: 'none' };

export function normalizeDnsMode(usedns: string | null | undefined): DnsMode {
  const v = (usedns ?? 'warn').toLowerCase();
  if (v === 'yes' || v === 'no' || v === 'raw' || v === 'warn') return v;
  if (v === 'true' || v === '1' || v === 'on') return 'yes';
  if (v === 'false' || v === '0' || v === 'off') return 'no';
  return 'warn';
}

/** `a.b.c.d` with a prefix length: the network in fail2ban's text form (`a.b.c.0/24`). */
export function addressWithCidr(addr: string, cidr: string | undefined): string | null {
  const c = canonicalIp(addr);
  if (c === null) return null;
  if (cidr === undefined || cidr === '') return c;
  const fam = ipFamily(c);
  const width = fam === 'inet4' ? 32 : 128;
  const plen = Number(cidr);
  if (!Number.isInteger(plen) || plen < 0 || plen >= width) return c;
  const value = toBigInt(c)!;
  const mask = plen === 0 ? 0n : ((1n << BigInt(plen)) - 1n) << BigInt(width - plen);
  const net = value & mask;
  return `${fromBigInt(net, fam === 'inet4')}/${plen}`;
}

function fromBigInt(v: bigint, v4: boolean): string {
  if (v4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  return canonicalIp(groups.join(':')) ?? groups.join(':');
}

/** A literal address at the start of a host text (fail2ban's usedns=no rule). */
function literalIp(text: string): string | null {
  const m = /^(?:\d{1,3}\.){3}\d{1,3}|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*/.exec(text);
  return m ? canonicalIp(m[0]) : null;
}

export function extractFailureId(groups: Readonly<Record<string, string | undefined>>, usedns: DnsMode): FailureIdResult {
  const fid = groups.fid;
  let host: string | undefined;
  let cidr: string | undefined;
  let raw = usedns === 'raw';
  if (groups.ip4 !== undefined) {
    host = groups.ip4;
    cidr = groups.cidr;
    raw = true;
  } else if (groups.ip6 !== undefined) {
    host = groups.ip6;
    cidr = groups.cidr;
    raw = true;
  } else if (groups.dns !== undefined) {
    host = groups.dns;
  } else if (groups.host !== undefined && groups.host !== '') {
    // pre-0.10 filters name their address group `host`: treated like <HOST>'s dns part
    host = groups.host;
  } else {
    if (fid === undefined) return groups.mlfid !== undefined ? { kind: 'pending' } : { kind: 'none' };
    // a bare failure id is taken as is
    return { kind: 'id', id: fid, ip: canonicalIp(fid) };
  }
  if (raw) {
    const addr = cidr !== undefined ? addressWithCidr(host, cidr) : canonicalIp(host);
    if (fid !== undefined && fid !== host) return { kind: 'id', id: fid, ip: addr };
    return { kind: 'id', id: addr ?? host, ip: addr };
  }
  // dns group, not raw: a literal address is used directly, anything else needs resolving
  const lit = literalIp(host);
  if (fid !== undefined && fid !== host) return { kind: 'id', id: fid, ip: lit };
  if (lit !== null) return { kind: 'id', id: lit, ip: lit };
  if (usedns === 'no') return { kind: 'none' };
  return { kind: 'id', id: host, ip: null, resolveDns: usedns === 'warn' ? 'warn' : 'yes' };
}
