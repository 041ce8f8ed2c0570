/** Stock action files read by the real config reader, expanded by our static pass. */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readAction } from '../../config/action-reader.js';
import { batchShape } from './batch.js';
import { StaticTags } from './tags.js';
import { corpusDir } from './test-helpers.js';

const base = join(corpusDir(), 'config');

describe.skipIf(!existsSync(base))('stock actions through the config reader', () => {
  const expand = (spec: string, key: string, fam: 'inet4' | 'inet6') => {
    const def = readAction(base, spec, 'sshd');
    const t = new StaticTags(def.options, def.conditional);
    return t.expand(t.raw(key, fam) ?? '', fam);
  };

  it('nftables: family sets, batchable ban/unban', () => {
    const ban4 = expand('nftables[port=ssh]', 'actionban', 'inet4');
    const ban6 = expand('nftables[port=ssh]', 'actionban', 'inet6');
    expect(ban4).toBe('nft add element inet f2b-table addr-set-sshd \\{ <ip> \\}');
    expect(ban6).toBe('nft add element inet f2b-table addr6-set-sshd \\{ <ip> \\}');
    expect(batchShape(ban6)?.render(['2001:db8::1'])).toBe(
      'add element inet f2b-table addr6-set-sshd { 2001:db8::1 }\n',
    );
    expect(batchShape(expand('nftables[port=ssh]', 'actionunban', 'inet4'))?.verb).toBe('del');
    expect(expand('nftables[port=ssh]', 'actionstart', 'inet6')).toContain(
      'addr6-set-sshd \\{ type ipv6_addr\\; flags interval\\; \\}',
    );
  });

  it('iptables-multiport: ip6tables and family blocktype, not batchable', () => {
    const ban6 = expand('iptables-multiport[port="22,2222"]', 'actionban', 'inet6');
    expect(ban6).toBe('ip6tables -w -I f2b-sshd 1 -s <ip> -j REJECT --reject-with icmp6-port-unreachable');
    expect(batchShape(ban6)).toBeNull();
    // (actionstart's `<ipt_<type>/_chain_rule>` section tag is the config reader's to resolve)
  });

  it('a blocktype given by the jail holds for IPv6 too (pass2allow-ftp: RETURN lets both families in)', () => {
    // fail2ban 1.0.2 keeps the action's IPv6 default (REJECT) over the jail's value (README)
    const spec = 'iptables-multiport[port=ftp, blocktype=RETURN, returntype=DROP]';
    expect(expand(spec, 'actionban', 'inet4')).toBe('iptables -w -I f2b-sshd 1 -s <ip> -j RETURN');
    expect(expand(spec, 'actionban', 'inet6')).toBe('ip6tables -w -I f2b-sshd 1 -s <ip> -j RETURN');
  });

  it('iptables-ipset: batchable through ipset restore', () => {
    const ban6 = expand('iptables-ipset', 'actionban', 'inet6');
    expect(ban6).toBe('ipset -exist add f2b-sshd6 <ip> timeout 0');
    expect(batchShape(ban6)?.render(['2001:db8::1'])).toBe('add f2b-sshd6 2001:db8::1 timeout 0\n');
  });

  it('sendmail-whois: only log-derived tags are left for the dynamic pass', () => {
    const ban = expand('sendmail-whois[dest=admin@example.org]', 'actionban', 'inet4');
    expect(ban).toContain('/usr/sbin/sendmail -f "fail2ban" "admin@example.org"');
    expect([...ban.matchAll(/<([^ <>]+)>/g)].map((m) => m[1])).toEqual(
      expect.arrayContaining(['ip', 'failures', 'fq-hostname', 'fail2ban']),
    );
  });
});
