import { describe, expect, it } from 'vitest';
import { addressWithCidr, extractFailureId, normalizeDnsMode } from './failure-id.js';

describe('extractFailureId', () => {
  it('prefers ip4 over ip6, dns and fid', () => {
    expect(extractFailureId({ ip4: '192.0.2.1', ip6: '::1', dns: 'x', fid: undefined }, 'raw')).toEqual({ kind: 'id', id: '192.0.2.1', ip: '192.0.2.1' });
    expect(extractFailureId({ ip6: '2001:DB8::0:1' }, 'no')).toEqual({ kind: 'id', id: '2001:db8::1', ip: '2001:db8::1' });
  });

  it('applies a captured cidr', () => {
    expect(extractFailureId({ ip4: '192.0.2.77', cidr: '24' }, 'raw')).toMatchObject({ id: '192.0.2.0/24' });
    expect(addressWithCidr('2001:db8:1:2::5', '64')).toBe('2001:db8:1:2::/64');
    expect(addressWithCidr('192.0.2.7', '32')).toBe('192.0.2.7');
  });

  it('fid with a different address: id = fid, ip = address', () => {
    expect(extractFailureId({ fid: 'alice', ip4: '192.0.2.1' }, 'warn')).toEqual({ kind: 'id', id: 'alice', ip: '192.0.2.1' });
    expect(extractFailureId({ fid: '192.0.2.1', ip4: '192.0.2.1' }, 'warn')).toMatchObject({ id: '192.0.2.1' });
    expect(extractFailureId({ fid: 'token-1' }, 'warn')).toEqual({ kind: 'id', id: 'token-1', ip: null });
  });

  it('dns by usedns', () => {
    expect(extractFailureId({ dns: 'bad.example' }, 'raw')).toEqual({ kind: 'id', id: 'bad.example', ip: null });
    expect(extractFailureId({ dns: 'bad.example' }, 'no')).toEqual({ kind: 'none' });
    expect(extractFailureId({ dns: 'bad.example' }, 'warn')).toMatchObject({ id: 'bad.example', resolveDns: 'warn' });
    expect(extractFailureId({ dns: 'bad.example' }, 'yes')).toMatchObject({ resolveDns: 'yes' });
  });

  it('old-style host group: an address, or a name to resolve', () => {
    expect(extractFailureId({ host: '72.21.81.85' }, 'warn')).toEqual({ kind: 'id', id: '72.21.81.85', ip: '72.21.81.85' });
    expect(extractFailureId({ host: 'bad.example' }, 'no')).toEqual({ kind: 'none' });
    expect(extractFailureId({ host: '' }, 'raw')).toEqual({ kind: 'none' });
  });

  it('no id: pending inside an MLFID session, none otherwise', () => {
    expect(extractFailureId({ mlfid: 'h sshd[1]:' }, 'raw')).toEqual({ kind: 'pending' });
    expect(extractFailureId({ user: 'x' }, 'raw')).toEqual({ kind: 'none' });
  });

  it('normalises usedns values', () => {
    expect(normalizeDnsMode(null)).toBe('warn');
    expect(normalizeDnsMode('RAW')).toBe('raw');
    expect(normalizeDnsMode('false')).toBe('no');
  });
});
