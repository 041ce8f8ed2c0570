import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { shellArgv, ShellVars } from './escape.js';
import { StaticTags, substituteDynamic, tagsIn } from './tags.js';
import { actionFromFile, corpusDir } from './test-helpers.js';

describe('static tag pass', () => {
  it('substitutes recursively and leaves unknown tags', () => {
    const t = new StaticTags({
      iptables: 'iptables <lockingopt>',
      lockingopt: '-w',
      actionban: '<iptables> -I f2b-<name> 1 -s <ip> -j DROP',
      name: 'sshd',
    });
    expect(t.expand(t.raw('actionban')!)).toBe('iptables -w -I f2b-sshd 1 -s <ip> -j DROP');
  });

  it('resolves nested tags inner first', () => {
    const t = new StaticTags({
      type: 'multiport',
      'match-multiport': 'dport { <port> }',
      'match-allports': 'all',
      port: '22',
      cmd: 'x <match-<type>> y',
    });
    expect(t.option('cmd')).toBe('x dport { 22 } y');
  });

  it('prefers family-conditional values, also deep inside other values', () => {
    const t = new StaticTags(
      { addr_set: 'addr-set-<name>', name: 'ssh', ban: 'nft add element inet t <addr_set> { <ip> }' },
      { inet6: { addr_set: 'addr6-set-<name>' } },
    );
    expect(t.expand(t.raw('ban')!, 'inet4')).toBe('nft add element inet t addr-set-ssh { <ip> }');
    expect(t.expand(t.raw('ban')!, 'inet6')).toBe('nft add element inet t addr6-set-ssh { <ip> }');
    expect(t.expand(t.raw('ban')!, '')).toBe('nft add element inet t addr-set-ssh { <ip> }');
    expect(t.hasConditional).toBe(true);
    expect(new StaticTags({ a: '1' }).hasConditional).toBe(false);
  });

  it('knows <br> and <sp> and never resolves log-derived tags statically', () => {
    const t = new StaticTags({ opts: '<sp>flags interval', matches: 'not me', c: 'a<opts><br>b <matches>' });
    expect(t.option('c')).toBe('a flags interval\nb <matches>');
  });

  it('resolves <known/x> from a supplied known/ value, never to itself', () => {
    expect(
      new StaticTags({ chain: '<known/chain>', 'known/chain': 'INPUT', c: '-A <chain>' }).option('c'),
    ).toBe('-A INPUT');
    expect(new StaticTags({ chain: 'FORWARD', c: '-A <known/chain>' }).option('c')).toBe('-A FORWARD');
    expect(new StaticTags({ chain: '<known/chain>', c: '-A <chain>' }).option('c')).toBe('-A <known/chain>');
  });

  it('rejects self-referencing definitions with a coded error naming the tag', () => {
    const t = new StaticTags({ a: 'x <b>', b: 'y <a>', c: '<a>' }, {}, 'action loop.conf');
    expect(() => t.option('c')).toThrow(ConfigError);
    expect(() => t.option('c')).toThrow(/loop\.conf.*refers to itself/);
  });

  it('caches per command and family', () => {
    const opts: Record<string, string> = { v: 'one', c: '<v>' };
    const t = new StaticTags(opts, { inet6: { v: 'six' } });
    expect(t.expand('<v>', 'inet4')).toBe('one');
    expect(t.expand('<v>', 'inet6')).toBe('six');
    opts.v = 'changed'; // options are read once: cached results stay
    expect(t.expand('<v>', 'inet4')).toBe('one');
  });

  it('expands the real nftables action per family', () => {
    const def = actionFromFile(join(corpusDir(), 'config/action.d/nftables.conf'), {
      name: 'sshd',
      port: 'ssh',
      protocol: 'tcp',
    });
    if (!def) return;
    const t = new StaticTags(def.options, def.conditional);
    expect(t.expand(t.raw('actionban')!, 'inet4')).toBe(
      'nft add element inet f2b-table addr-set-sshd \\{ <ip> \\}',
    );
    expect(t.expand(t.raw('actionban')!, 'inet6')).toBe(
      'nft add element inet f2b-table addr6-set-sshd \\{ <ip> \\}',
    );
    expect(t.expand(t.raw('actionstart')!, 'inet6')).toContain('type ipv6_addr\\; flags interval\\;');
  });
});

describe('dynamic tag pass', () => {
  const values = new Map([
    ['ip', '192.0.2.1'],
    ['family', 'inet4'],
  ]);

  it('inlines safe values and fields; missing fields become empty', () => {
    const vars = new ShellVars();
    const out = substituteDynamic(
      'ban <ip> <family> u=<F-USER> x=<F-NOPE> <unknown>',
      values,
      { user: 'root' },
      vars,
    );
    expect(out).toBe('ban 192.0.2.1 inet4 u=root x= <unknown>');
    expect(vars.size).toBe(0);
  });

  it('is not recursive: a value that looks like a tag stays data', () => {
    const vars = new ShellVars();
    const out = substituteDynamic('echo "<F-USER>" <ip>', values, { user: '<ip>' }, vars);
    expect(out).toBe('echo "$f2bV_F_user" 192.0.2.1');
    expect(vars.entries()).toEqual([['f2bV_F_user', '<ip>']]);
  });

  it('passes unsafe values as variables, one per tag', () => {
    const vars = new ShellVars();
    const m = new Map([['matches', 'a b\nc']]);
    const out = substituteDynamic('<matches> <matches> <F-MY-FIELD>', m, { 'my-field': 'x;y' }, vars);
    expect(out).toBe('$f2bV_matches $f2bV_matches $f2bV_F_my_field');
    expect(vars.entries()).toEqual([
      ['f2bV_matches', 'a b\nc'],
      ['f2bV_F_my_field', 'x;y'],
    ]);
  });

  it('doubles the backslashes of a value inside a printf %b argument only (so %b prints it as logged)', () => {
    const vars = new ShellVars();
    const m = new Map([...values, ['matches', 'user a\\nb\\c from 192.0.2.1']]);
    const cmd =
      'printf %b "Matches:\\n<matches>\\n`whois <ip> || echo "no whois"` <matches>" | mail; ' +
      'printf -- %b "<matches>"; printf \'%s\' "<matches>"; echo "<matches>"';
    expect(substituteDynamic(cmd, m, {}, vars)).toBe(
      'printf %b "Matches:\\n$f2bV_matches_b\\n`whois 192.0.2.1 || echo "no whois"` $f2bV_matches_b" | mail; ' +
        'printf -- %b "$f2bV_matches_b"; printf \'%s\' "$f2bV_matches"; echo "$f2bV_matches"',
    );
    expect(vars.entries()).toEqual([
      ['f2bV_matches_b', 'user a\\\\nb\\\\c from 192.0.2.1'],
      ['f2bV_matches', 'user a\\nb\\c from 192.0.2.1'],
    ]);
    // what the shell then prints: the line as it was logged
    const r = spawnSync('/bin/sh', shellArgv('printf %b "[$f2bV_matches_b]"', vars), { encoding: 'utf8' });
    expect(r.stdout).toBe('[user a\\nb\\c from 192.0.2.1]');
  });

  it('lists the tags a command uses', () => {
    expect([...tagsIn('a <ip> <F-USER> <ip> <jail.banned>')]).toEqual(['ip', 'F-USER', 'jail.banned']);
  });
});
