import { describe, expect, it } from 'vitest';
import { substituteTags, substituteText } from './tags.js';
import { messageOf } from './tree.case.js';

describe('config-level <tag> substitution', () => {
  it('replaces recursively and leaves unknown tags (runtime tags) alone', () => {
    const out = substituteTags({
      iptables: 'iptables <lockingopt>',
      lockingopt: '-w',
      actionban: '<iptables> -I f2b-<name> -s <ip> -j <blocktype>',
      name: 'sshd',
      blocktype: 'REJECT',
      failregex: '^Failed for <F-USER>.*</F-USER> from <HOST>$',
    });
    expect(out.actionban).toBe('iptables -w -I f2b-sshd -s <ip> -j REJECT');
    expect(out.failregex).toBe('^Failed for <F-USER>.*</F-USER> from <HOST>$');
  });

  it('resolves nested tags inner-first', () => {
    const out = substituteTags({ mode: 'ddos', 'mdre-normal': 'N', 'mdre-ddos': 'D <HOST>', failregex: 'x\n<mdre-<mode>>\ny' });
    expect(out.failregex).toBe('x\nD <HOST>\ny');
  });

  it('uses the lookup for section/option tags', () => {
    const lookup = (n: string) => ({ 'lt_file/__prefix_line': '\\s*<__hostname>' })[n];
    const out = substituteTags({ logtype: 'file', __hostname: '\\S+', p: '^<lt_<logtype>/__prefix_line>x' }, { lookup });
    expect(out.p).toBe('^\\s*\\S+x');
  });

  it('<known/x> works as a plain option name', () => {
    const out = substituteTags({ chain: '<known/chain>', 'known/chain': 'INPUT', cmd: '-A <chain>' });
    expect(out.cmd).toBe('-A INPUT');
  });

  it('prefers conditional values and skips ignored tags', () => {
    const tags = { blocktype: 'REJECT', 'blocktype?family=inet6': 'DROP6', cmd: '<blocktype> <matches>', matches: 'm' };
    expect(substituteTags(tags, { conditional: 'family=inet6', ignore: ['matches'] }).cmd).toBe('DROP6 <matches>');
    expect(substituteTags(tags, { ignore: ['blocktype'] }).cmd).toBe('<blocktype> m');
  });

  it('rejects self-reference and runaway replacement', () => {
    expect(messageOf(() => substituteTags({ a: 'x <a>' }))).toBe("option 'a' refers to itself through <a>; tags cannot be resolved");
    expect(messageOf(() => substituteTags({ a: '<b>', b: 'y<a>' }))).toMatch(/refers to itself/);
    expect(messageOf(() => substituteTags({ a: '<x>' }, { lookup: () => '<x>z' }))).toBe(
      "tag <x> in option 'a' was replaced more than 25 times (self-referencing definitions?)",
    );
    expect(messageOf(() => substituteTags({ a: 'x <a>' }, { where: () => ({ file: '/f.conf', line: 7 }) }))).toMatch(/^\/f\.conf:7: /);
  });

  it('substituteText resolves one text against a set', () => {
    expect(substituteText('<a>-<b>', { a: '1', b: '<a>2' })).toBe('1-12');
  });
});
