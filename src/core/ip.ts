import { isIPv4, isIPv6 } from 'node:net';

/** Address helpers. fail2ban stores IPv6 in inet_ntop form and maps ::ffff:a.b.c.d to a.b.c.d. */

export type Family = 'inet4' | 'inet6';

export function ipFamily(addr: string): Family | null {
  if (isIPv4(addr)) return 'inet4';
  if (isIPv6(addr)) return 'inet6';
  return null;
}

/** Expand an IPv6 address to 8 16-bit groups, or null if it is not one. */
export function ipv6Groups(addr: string): number[] | null {
  if (!isIPv6(addr)) return null;
  let a = addr;
  const tail: number[] = [];
  const m = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (m) {
    const p = m[1]!.split('.').map(Number);
    tail.push((p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!);
    a = a.slice(0, -m[1]!.length);
    if (a.endsWith(':') && !a.endsWith('::')) a = a.slice(0, -1);
  }
  const [head, rest] = a.includes('::') ? a.split('::') : [a, undefined];
  const parse = (s: string | undefined): number[] => (s ? s.split(':').filter((x) => x !== '').map((x) => parseInt(x, 16)) : []);
  const h = parse(head);
  const r = parse(rest);
  if (rest === undefined) return [...h, ...tail];
  const fill = 8 - h.length - r.length - tail.length;
  return [...h, ...new Array<number>(Math.max(0, fill)).fill(0), ...r, ...tail];
}

/**
 * `a.b.c.d` as node's isIPv4 accepts it (octets 0-255, no leading zero), by hand: every failure
 * line's address goes through here, and the regex behind isIPv4 cost more than the rest of it.
 */
export function isDottedQuad(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (s.charCodeAt(i) !== 46) return false;
      i++;
    }
    const start = i;
    let v = 0;
    while (i < n && i - start < 3) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      i++;
    }
    const len = i - start;
    if (len === 0 || v > 255 || (len > 1 && s.charCodeAt(start) === 48)) return false;
  }
  return i === n;
}

// Attackers repeat their addresses: IPv6 canonical forms are remembered (bounded, cleared when full).
const V6_CACHE_MAX = 4096;
const v6Cache = new Map<string, string | null>();

/**
 * Canonical text form: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 compressed lower-case (RFC 5952)
 * except that an IPv4-compatible address keeps its dotted quad (`::1.2.3.4`), as inet_ntop writes it.
 */
export function canonicalIp(addr: string): string | null {
  if (isDottedQuad(addr)) return addr;
  if (!addr.includes(':')) return null;
  let c = v6Cache.get(addr);
  if (c === undefined) {
    c = canonicalV6(addr);
    if (v6Cache.size >= V6_CACHE_MAX) v6Cache.clear();
    v6Cache.set(addr, c);
  }
  return c;
}

function canonicalV6(addr: string): string | null {
  const g = ipv6Groups(addr);
  if (!g) return null;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  }
  // longest run of >= 2 zero groups becomes "::"
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] === 0) {
      let j = i;
      while (j < 8 && g[j] === 0) j++;
      if (j - i > bestLen && j - i >= 2) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    } else i++;
  }
  // glibc's inet_ntop, which fail2ban's text comes from: the first 96 bits zero and the next 16
  // not (an "IPv4-compatible" address) ends in a dotted quad: ::1.2.3.4, ::0.1.0.2
  if (best === 0 && bestLen === 6) return `::${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** A network: family, base address with the host bits cleared, mask, and its text form. */
export interface Network {
  fam: Family;
  base: bigint;
  mask: bigint;
  prefix: number;
  /** `10.0.0.0/8`; a full-length prefix is the address alone (`10.0.0.1/32` → `10.0.0.1`). */
  text: string;
}

/**
 * `a.b.c.d/nn`, `a.b.c.d/m.m.m.m` or `v6/nn` (host bits may be set) → the network, or null.
 * An IPv4-mapped address with a prefix of 96 or more is the IPv4 network it maps to: ids are
 * stored as IPv4 (canonicalIp), so a mapped network must cover them.
 */
export function parseNetwork(text: string): Network | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const addrPart = text.slice(0, slash);
  const addr = canonicalIp(addrPart);
  const bits = text.slice(slash + 1);
  if (addr === null) return null;
  const fam = ipFamily(addr)!;
  const width = fam === 'inet4' ? 32 : 128;
  let prefix: number;
  if (/^\d+$/.test(bits)) prefix = Number(bits);
  else if (fam === 'inet4' && ipFamily(bits) === 'inet4') {
    const m = toBigInt(bits)!.toString(2).padStart(32, '0');
    if (!/^1*0*$/.test(m)) return null;
    prefix = m.indexOf('0') < 0 ? 32 : m.indexOf('0');
  } else return null;
  if (fam === 'inet4' && addrPart.includes(':')) {
    // mapped: the prefix counts the 96 bits of ::ffff: too
    if (prefix < 96) return null;
    prefix -= 96;
  }
  if (prefix > width) return null;
  const all = (1n << BigInt(width)) - 1n;
  const mask = prefix === 0 ? 0n : (all >> BigInt(width - prefix)) << BigInt(width - prefix);
  const base = toBigInt(addr)! & mask;
  const shown = prefix === width ? fromBigInt(base, fam) : `${fromBigInt(base, fam)}/${prefix}`;
  return { fam, base, mask, prefix, text: shown };
}

function fromBigInt(v: bigint, fam: Family): string {
  if (fam === 'inet4') return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((v >> s) & 0xffffn).toString(16));
  return canonicalIp(groups.join(':'))!;
}

/**
 * An id given by a command (`banip`, `unbanip`, `unban`, `banned`, `attempt`) in the form the
 * same address has when read from a log, so one address is one ban whichever way it is
 * written: an address as canonicalIp, `[v6]` without brackets, a network as parseNetwork (a /32
 * or /128 is the address). Anything else (a host name, `notanip`) is an id as it stands:
 * fail2ban bans such strings too.
 */
export function canonicalId(text: string): string {
  const inner = text.length > 2 && text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const ip = canonicalIp(inner);
  if (ip !== null) return ip;
  if (inner.includes('/')) return parseNetwork(inner)?.text ?? text;
  return text;
}

/** Parse "a.b.c.d/nn", "a.b.c.d/255.255.0.0" or "v6/nn" into a matcher; null if not a network. */
export function parseCidr(text: string): ((ip: string) => boolean) | null {
  const [addr, bits] = text.split('/');
  if (addr === undefined) return null;
  const fam = ipFamily(addr);
  if (!fam) return null;
  const width = fam === 'inet4' ? 32 : 128;
  let prefix = width;
  if (bits !== undefined) {
    if (/^\d+$/.test(bits)) prefix = Number(bits);
    else if (fam === 'inet4' && isIPv4(bits)) {
      const m = toBigInt(bits)!;
      prefix = m.toString(2).replace(/0+$/, '').length;
    } else return null;
  }
  if (prefix > width) return null;
  const base = toBigInt(addr)!;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix);
  return (ip: string) => {
    const c = canonicalIp(ip);
    if (!c || ipFamily(c) !== fam) return false;
    return (toBigInt(c)! & mask) === (base & mask);
  };
}

export function toBigInt(addr: string): bigint | null {
  if (isIPv4(addr)) return addr.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
  const g = ipv6Groups(addr);
  if (!g) return null;
  return g.reduce((acc, p) => (acc << 16n) | BigInt(p), 0n);
}
