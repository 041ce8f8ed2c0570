import fc from 'fast-check';
import { isIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { canonicalIp, isDottedQuad } from './ip.js';

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
