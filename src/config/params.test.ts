import { describe, expect, it } from 'vitest';
import { parseSpec, splitActions } from './params.js';
import { messageOf } from './tree.case.js';

describe('parseSpec', () => {
  it('parses names without and with parameters', () => {
    expect(parseSpec('sshd')).toEqual({ name: 'sshd', params: {} });
    expect(parseSpec(' sshd[mode=aggressive] ')).toEqual({ name: 'sshd', params: { mode: 'aggressive' } });
    expect(parseSpec('iptables[Name=SSH, port="22,2222", protocol=tcp]')).toEqual({
      name: 'iptables',
      params: { name: 'SSH', port: '22,2222', protocol: 'tcp' },
    });
  });

  it('quoted values may hold , ] spaces and newlines; all values are stripped (as fail2ban does)', () => {
    expect(parseSpec(`a[x='1], [2', y = " v w ", z=  bare value  , q="l1\nl2"]`).params).toEqual({
      x: '1], [2',
      y: 'v w',
      z: 'bare value',
      q: 'l1\nl2',
    });
    expect(parseSpec('a[x="say \\"hi\\""]').params).toEqual({ x: 'say \\"hi\\"' });
  });

  it('chained groups, conditional keys, empty values, trailing comma', () => {
    expect(parseSpec('nftables[type=allports][port="1:2", blocktype?family=inet6=drop, e=,]')).toEqual({
      name: 'nftables',
      params: { type: 'allports', port: '1:2', 'blocktype?family=inet6': 'drop', e: '' },
    });
  });

  it('bad syntax is an error that quotes the text', () => {
    expect(messageOf(() => parseSpec('a[x="open]'))).toBe(`bad parameter syntax in 'a[x="open]': unterminated double-quoted value of 'x' at offset 4 ('"open]')`);
    expect(messageOf(() => parseSpec('a[x=1'))).toMatch(/missing '\]'/);
    expect(messageOf(() => parseSpec('a[=1]'))).toMatch(/expected an option name at offset 2/);
    expect(messageOf(() => parseSpec('a[x 1]'))).toMatch(/expected '=' after 'x'/);
    expect(messageOf(() => parseSpec('a[x="1" y]'))).toMatch(/unexpected text after the value of 'x'/);
    expect(messageOf(() => parseSpec('a[x=1] junk'))).toMatch(/expected '\['/);
    expect(messageOf(() => parseSpec('[x=1]'))).toMatch(/missing name/);
    expect(messageOf(() => parseSpec('a[x=1', { file: '/j.conf', line: 4 }))).toMatch(/^\/j\.conf:4: /);
  });
});

describe('splitActions', () => {
  it('one action per line, lines may wrap inside [...]', () => {
    const v = 'iptables[name=a, port="1,2",\n  protocol=tcp]\n\nsendmail-whois[name=a, dest="x"]\nplain';
    expect(splitActions(v)).toEqual(['iptables[name=a, port="1,2",\n  protocol=tcp]', 'sendmail-whois[name=a, dest="x"]', 'plain']);
  });

  it('brackets inside quotes do not count', () => {
    expect(splitActions('a[x="[", y=1]\nb')).toEqual(['a[x="[", y=1]', 'b']);
  });
});
