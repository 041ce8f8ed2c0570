import { afterAll, describe, expect, it } from 'vitest';
import { actionName, readAction } from './action-reader.js';
import { cleanupTrees, makeTree, messageOf } from './tree.case.js';

afterAll(cleanupTrees);

const IPT = [
  '[INCLUDES]',
  'before = iptables-common.conf',
  '[Definition]',
  'actionban = <iptables> -I f2b-<name> 1 -s <ip> -j <blocktype>',
  'actionstart = %(_start)s <chain>',
  '_start = <iptables> -N f2b-<name>',
  'note = bantime %(bantime)s',
  '[Init]',
  'name = default',
  'chain = INPUT',
  'port = ssh',
  'blocktype = REJECT',
  '[Init?family=inet6]',
  'blocktype = REJECT6',
].join('\n');

describe('readAction', () => {
  const dir = makeTree({
    'action.d/iptables-common.conf': '[Init]\niptables = iptables <lockingopt>\nlockingopt = -w\n',
    'action.d/iptables.conf': IPT,
    'action.d/loop.conf': '[Definition]\nactionban = <a>\na = <b>\nb = <a>\n',
  });

  it('combines [Definition], [Init] and params; name defaults to the jail; tags stay for the runtime', () => {
    const a = readAction(dir, 'iptables[port="22,2222"]', 'sshd', { bantime: '600' });
    expect(a.actname).toBe('iptables');
    expect(a.file).toBe('iptables');
    expect(a.options).toMatchObject({
      name: 'sshd',
      port: '22,2222',
      chain: 'INPUT',
      'known/chain': 'INPUT',
      'known/port': 'ssh',
      iptables: 'iptables <lockingopt>',
      actionban: '<iptables> -I f2b-<name> 1 -s <ip> -j <blocktype>',
      actionstart: '<iptables> -N f2b-<name> <chain>',
      note: 'bantime 600',
    });
    expect(a.conditional).toEqual({ inet6: { blocktype: 'REJECT6', 'known/blocktype': 'REJECT6' } });
  });

  it('helper options that cannot be interpolated only fail when a command uses them', () => {
    const d = makeTree({
      'action.d/a.conf': '[Definition]\nactionban = echo <used>\nunused = %(nope)s\nused = ok\n',
      'action.d/b.conf': '[Definition]\nactionban = echo <bad>\nbad = %(nope)s\n',
    });
    expect(readAction(d, 'a', 'j').options.actionban).toBe('echo <used>');
    expect(messageOf(() => readAction(d, 'b', 'j'))).toBe(`${d}/action.d/b.conf:3: unknown interpolation key '%(nope)s' in option 'bad' of [Definition]`);
  });

  it('a passed key also replaces its family variants unless those are passed', () => {
    expect(readAction(dir, 'iptables[blocktype=DROP]', 'sshd').conditional.inet6).toEqual({ 'known/blocktype': 'REJECT6' });
    expect(readAction(dir, 'iptables[blocktype=DROP, blocktype?family=inet6=DROP6]', 'sshd').conditional.inet6).toEqual({
      blocktype: 'DROP6',
      'known/blocktype': 'REJECT6',
    });
  });

  it('actname: suffix when name differs from the jail, or as given', () => {
    expect(actionName('iptables', 'sshd', { name: 'sshd-tcp' })).toBe('iptables-tcp');
    expect(actionName('iptables', 'sshd', { name: 'web' })).toBe('iptables-web');
    expect(actionName('iptables', 'sshd', { name: 'sshd' })).toBe('iptables');
    expect(actionName('iptables', 'sshd', { name: 'web', actname: 'x' })).toBe('x');
    expect(readAction(dir, 'iptables[name=sshd-udp]', 'sshd').actname).toBe('iptables-udp');
  });

  it('rejects self-referencing tags, Python actions and unknown actions', () => {
    expect(messageOf(() => readAction(dir, 'loop', 'j'))).toBe(
      `${dir}/action.d/loop.conf:2: tag <a> in option 'actionban' was replaced more than 25 times (self-referencing definitions?)`,
    );
    expect(messageOf(() => readAction(dir, 'smtp.py[host=x]', 'j', {}, { where: { file: '/j.conf', line: 3 } }))).toBe(
      "/j.conf:3: jail 'j': Python action 'smtp.py' is not supported",
    );
    const d = makeTree({ 'actions.d/ban.local': '[Definition]\n' });
    expect(messageOf(() => readAction(d, 'ban', 'web'))).toBe(
      `jail 'web': action 'ban' not found; searched ${d}/action.d/ban.conf, ${d}/action.d/ban.d/*.conf, ` +
        `${d}/action.d/ban.local, ${d}/action.d/ban.d/*.local; found ${d}/actions.d/ban.local: actions are read from action.d/, not actions.d/`,
    );
  });

  it('a bad timeout is a read error with file:line (given in the file or as a parameter); a tag is left for the runtime', () => {
    const d = makeTree({ 'action.d/t.conf': '[Definition]\nactionban = true\ntimeout = abc\n', 'action.d/u.conf': '[Definition]\nactionban = true\n[Init]\ntimeout = <t>\nt = 5\n' });
    expect(messageOf(() => readAction(d, 't', 'j'))).toBe(
      `${d}/action.d/t.conf:3: bad time value 'abc' for 'timeout' (expected seconds or e.g. 10m, 1h, 1d12h)`,
    );
    expect(readAction(d, 't[timeout=1m]', 'j').options.timeout).toBe('1m');
    expect(messageOf(() => readAction(d, 'u[timeout=2x]', 'j', {}, { where: { file: '/j.conf', line: 9 } }))).toMatch(
      /^\/j\.conf:9: bad time value '2x' for 'timeout'/,
    );
    expect(readAction(d, 'u', 'j').options.timeout).toBe('<t>');
  });
});
