import fc from 'fast-check';
import { isIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { canonicalId, canonicalIp, isDottedQuad, parseNetwork } from './ip.js';

/** Strings built from the characters an address text is made of, so near-misses are common. */
const addressish = fc
  .array(fc.constantFrom('0', '1', '2', '5', '9', '.', ':', 'a', 'f', 'F', '%', ' '), { maxLength: 20 })
  .map((a) => a.join(''));
const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '255', '256', '1000', ''));
const quadish = fc.tuple(octet, octet, octet, octet).map((p) => p.join('.'));

describe('isDottedQuad', () => {
  it("agrees with node's isIPv4 on edge cases", () => {
    for (const s of ['0.0.0.0', '255.255.255.255', '1.2.3.4', '01.2.3.4', '1.2.3.04', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1.2.3.4 ', '', '1..2.3', '1.2.3.4a', '999.1.1.1']) {
      expect(isDottedQuad(s), s).toBe(isIPv4(s));
    }
  });

  it("agrees with node's isIPv4 on random near-addresses", () => {
    fc.assert(
      fc.property(fc.oneof(quadish, addressish), (s) => isDottedQuad(s) === isIPv4(s)),
      { numRuns: 20_000 },
    );
  });
});

describe('canonicalIp', () => {
  it('keeps IPv4, maps v4-mapped IPv6, compresses IPv6', () => {
    expect(canonicalIp('192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalIp('01.2.3.4')).toBeNull();
    expect(canonicalIp('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('2001:db8::0:1')).toBe('2001:db8::1');
    expect(canonicalIp('example.com')).toBeNull();
    expect(canonicalIp('2001:db8::g')).toBeNull();
  });

  it('gives the same answer from its cache as the first time, past the cache bound', () => {
    const addrs = Array.from({ length: 5000 }, (_, i) => `2001:DB8:0:0:0:0:${(i >> 8).toString(16)}:${(i & 255).toString(16)}`);
    const first = addrs.map(canonicalIp);
    expect(first[0]).toBe('2001:db8::');
    expect(first[4999]).toBe('2001:db8::13:87');
    expect(addrs.map(canonicalIp)).toEqual(first);
  });
});

describe('canonicalId (ids given by command)', () => {
  it('writes an address or network as fail2ban 1.0.2 shows it, other strings as they are', () => {
    // each pair: what `set <jail> banip X` is given, what `get <jail> banip` shows in fail2ban 1.0.2
    const cases: [string, string][] = [
      ['2001:DB8:0::1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['::ffff:192.0.2.33', '192.0.2.33'],
      ['::FFFF:C000:0221', '192.0.2.33'],
      ['192.0.2.1/32', '192.0.2.1'],
      ['192.0.2.1/255.255.255.255', '192.0.2.1'],
      ['2001:db8::5/128', '2001:db8::5'],
      ['[2001:db8::1]', '2001:db8::1'],
      ['10.0.0.0/24', '10.0.0.0/24'],
      ['10.0.0.5/24', '10.0.0.0/24'],
      ['10.0.0.5/255.255.255.0', '10.0.0.0/24'],
      ['2001:DB8::/64', '2001:db8::/64'],
      ['fe80::1/64', 'fe80::/64'],
      ['notanip', 'notanip'],
      ['example.com', 'example.com'],
      ['01.2.3.4', '01.2.3.4'],
      // IPv4-compatible addresses keep a dotted quad (glibc's inet_ntop, which fail2ban uses)
      ['::1.2.3.4', '::1.2.3.4'],
      ['0:0:0:0:0:0:102:304', '::1.2.3.4'],
      ['::0.1.0.0', '::0.1.0.0'],
      ['::1:2', '::0.1.0.2'],
      ['::ffff:1', '::255.255.0.1'],
      ['::FFFF:1.2.3.4', '1.2.3.4'],
      ['::1', '::1'],
      ['::127', '::127'],
      ['::1.2.3.400', '::1.2.3.400'],
    ];
    expect(cases.map(([given]) => [given, canonicalId(given)])).toEqual(cases);
  });

  it('maps a mapped network of /96 or more to the IPv4 network (ids are kept as IPv4)', () => {
    expect(canonicalId('::ffff:192.0.2.33/128')).toBe('192.0.2.33');
    expect(canonicalId('::ffff:192.0.2.33/120')).toBe('192.0.2.0/24');
    expect(parseNetwork('::ffff:192.0.2.33/64')).toBeNull();
  });

  it('leaves what is not a network as it stands (a bad prefix or mask)', () => {
    for (const s of ['1.2.3.4/33', '1.2.3.4/abc', '1.2.3.4/', '1.2.3.4/255.0.255.0', 'foo/24', '2001:db8::1/129'])
      expect(canonicalId(s), s).toBe(s);
  });
});
