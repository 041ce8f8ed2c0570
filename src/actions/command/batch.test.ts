import { describe, expect, it } from 'vitest';
import { batchShape, nftRebuild, splitSimpleShell } from './batch.js';

describe('splitSimpleShell', () => {
  it('splits plain words, escapes and quotes', () => {
    expect(splitSimpleShell(`nft add element inet t s \\{ 1.2.3.4 \\}`)).toEqual([
      'nft',
      'add',
      'element',
      'inet',
      't',
      's',
      '{',
      '1.2.3.4',
      '}',
    ]);
    expect(splitSimpleShell(`a 'b c' "d"e`)).toEqual(['a', 'b c', 'de']);
  });

  it('refuses anything the shell would interpret', () => {
    for (const s of [
      'a $(b)',
      'a `b`',
      'a; b',
      'a | b',
      'a > f',
      'a "$x"',
      'a *',
      'a && b',
      '"unterminated',
      'a\\',
    ]) {
      expect(splitSimpleShell(s)).toBeNull();
    }
  });
});

describe('batchShape', () => {
  it('recognises nft element commands and renders one transaction', () => {
    const s = batchShape('nft add element inet f2b-table addr-set-sshd \\{ <ip> \\}')!;
    expect(s).toMatchObject({ tool: 'nft', verb: 'add', program: 'nft', args: ['-f', '-'] });
    expect(s.render(['192.0.2.1', '192.0.2.2'])).toBe(
      'add element inet f2b-table addr-set-sshd { 192.0.2.1, 192.0.2.2 }\n',
    );
    const d = batchShape('/usr/sbin/nft -- delete element f2b-table s { <ip> timeout 10m }')!;
    expect(d).toMatchObject({ verb: 'del', program: '/usr/sbin/nft' });
    expect(d.render(['2001:db8::1'])).toBe('delete element f2b-table s { 2001:db8::1 timeout 10m }\n');
  });

  it('chunks large nft batches into several lines of one file', () => {
    const s = batchShape('nft add element inet t s \\{ <ip> \\}')!;
    const ips = Array.from({ length: 2500 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const text = s.render(ips);
    expect(text.trim().split('\n')).toHaveLength(3);
    expect(text.match(/10\.0\./g)).toHaveLength(2500);
  });

  it('recognises ipset add/del', () => {
    const a = batchShape('ipset -exist add f2b-sshd <ip> timeout 0')!;
    expect(a).toMatchObject({ tool: 'ipset', verb: 'add', args: ['restore', '-exist'] });
    expect(a.render(['192.0.2.1', '192.0.2.2'])).toBe(
      'add f2b-sshd 192.0.2.1 timeout 0\nadd f2b-sshd 192.0.2.2 timeout 0\n',
    );
    expect(batchShape('ipset -D f2b-x <ip>')!.render(['192.0.2.9'])).toBe('del f2b-x 192.0.2.9\n');
  });

  it('falls back (null) for anything else', () => {
    for (const c of [
      'iptables -w -I f2b-sshd 1 -s <ip> -j DROP',
      'nft add element inet t s \\{ <ip> \\}\necho done',
      'nft add element inet t s \\{ <ip> \\}; echo x',
      'nft add element inet t s \\{ <ip> timeout <bantime>s \\}',
      'ipset -exist add f2b-x <ip> timeout $([ "600" -le 2147483 ] && echo 600)',
      'nft add rule inet t c ip saddr <ip> drop',
      'nft add element inet t s \\{ 192.0.2.1, <ip> \\}',
      'ipset add f2b-x <fid>',
      '',
    ]) {
      expect(batchShape(c), c).toBeNull();
    }
  });
});

describe('nftRebuild', () => {
  const list = (elem: unknown[], flags = ['interval']) =>
    JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { set: { family: 'inet', name: 's', table: 't', flags, elem } },
      ],
    });

  it('rewrites an interval set without the removed elements, keeping prefixes and ranges', () => {
    const text = nftRebuild(
      list([
        '10.0.0.1',
        '10.0.0.2',
        { prefix: { addr: '10.1.0.0', len: 24 } },
        { range: ['10.2.0.1', '10.2.0.9'] },
      ]),
      ['inet', 't', 's'],
      (e) => e === '10.0.0.2',
    );
    expect(text).toBe(
      'flush set inet t s\nadd element inet t s { 10.0.0.1, 10.1.0.0/24, 10.2.0.1-10.2.0.9 }\n',
    );
    expect(nftRebuild(list(['10.0.0.1']), ['t', 's'], () => true)).toBe('flush set t s\n');
  });

  it('declines non-interval sets and elements it cannot write back', () => {
    expect(nftRebuild(list(['10.0.0.1'], []), ['t', 's'], () => true)).toBeNull();
    expect(
      nftRebuild(list([{ elem: { val: '10.0.0.1', timeout: 60 } }]), ['t', 's'], () => false),
    ).toBeNull();
    expect(nftRebuild('not json', ['t', 's'], () => false)).toBeNull();
  });

  it('is offered only for option-less nft elements', () => {
    expect(batchShape('nft delete element inet t s \\{ <ip> \\}')!.nftSet).toEqual(['inet', 't', 's']);
    expect(batchShape('nft delete element inet t s \\{ <ip> timeout 1m \\}')!.nftSet).toBeUndefined();
  });
});
