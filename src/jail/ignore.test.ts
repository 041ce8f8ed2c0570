import { describe, expect, it, vi } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { IgnoreList, networkMatcher, parseNet, type IgnoreDeps, type IgnoreSubject } from './ignore.js';

const subj = (id: string, extra: Partial<IgnoreSubject> = {}): IgnoreSubject => ({
  id,
  ip: id,
  time: 1000,
  failures: 1,
  matches: ['line'],
  fields: {},
  ...extra,
});

function make(deps: Partial<IgnoreDeps> = {}, opts: ConstructorParameters<typeof IgnoreList>[1] = {}) {
  const clock = fixedClock(1000);
  const log = vi.fn();
  const list = new IgnoreList({ clock, log, ...deps }, { ignoreself: false, ...opts });
  return { clock, log, list };
}

describe('IgnoreList entries', () => {
  it('matches single addresses exactly, in canonical form', async () => {
    const { list } = make({}, { ignoreip: ['192.0.2.1', '2001:DB8:0:0::1'] });
    expect(await list.check(subj('192.0.2.1'))).toBe('ip');
    expect(await list.check(subj('192.0.2.10'))).toBeNull();
    expect(await list.check(subj('2001:db8::1'))).toBe('ip');
    expect(await list.check(subj('::ffff:192.0.2.1'))).toBe('ip');
  });

  it('matches CIDR networks, netmask notation and IPv6 prefixes', async () => {
    const { list } = make({}, { ignoreip: ['10.1.2.3/8', '172.16.5.4/255.255.0.0', '2001:db8:abcd::/48'] });
    expect(list.entries()).toEqual(['10.0.0.0/8', '172.16.0.0/16', '2001:db8:abcd::/48']);
    expect(await list.check(subj('10.200.1.1'))).toBe('ip');
    expect(await list.check(subj('11.0.0.1'))).toBeNull();
    expect(await list.check(subj('172.16.99.1'))).toBe('ip');
    expect(await list.check(subj('172.17.0.1'))).toBeNull();
    expect(await list.check(subj('2001:db8:abcd:1::5'))).toBe('ip');
    expect(await list.check(subj('2001:db8:abce::5'))).toBeNull();
    expect(await list.check(subj('user-name', { ip: null }))).toBeNull();
  });

  it('resolves DNS names through the injected resolver, cached for 5 minutes', async () => {
    const resolve = vi.fn((name: string) => Promise.resolve(name === 'trusted.example' ? ['198.51.100.7', '2001:db8::7'] : []));
    const { list, clock } = make({ resolve }, { ignoreip: ['trusted.example'] });
    expect(await list.check(subj('198.51.100.7'))).toBe('dns');
    expect(await list.check(subj('2001:db8:0::7'))).toBe('dns');
    expect(await list.check(subj('198.51.100.8'))).toBeNull();
    expect(resolve).toHaveBeenCalledTimes(1);
    clock.advance(301);
    expect(await list.check(subj('198.51.100.7'))).toBe('dns');
    expect(resolve).toHaveBeenCalledTimes(2);
  });

  it('treats a failing resolver as "no addresses" and logs a warning', async () => {
    const { list, log } = make({ resolve: () => Promise.reject(new Error('NXDOMAIN')) }, { ignoreip: ['gone.example'] });
    expect(await list.check(subj('192.0.2.1'))).toBeNull();
    expect(log).toHaveBeenCalledWith('WARNING', expect.stringMatching(/gone\.example.*NXDOMAIN/));
  });

  it('warns as fail2ban does when a name resolves to nothing (our resolver answers [] for NXDOMAIN)', async () => {
    const { list, log } = make({ resolve: () => Promise.resolve([]) }, { ignoreip: ['gone.example'] });
    expect(await list.check(subj('192.0.2.1'))).toBeNull();
    expect(log).toHaveBeenCalledWith('WARNING', 'Unable to find a corresponding IP address for gone.example: [Errno -2] Name or service not known');
  });

  it('compares raw strings with non-IP ids', async () => {
    const resolve = vi.fn(() => Promise.resolve([] as string[]));
    const { list } = make({ resolve }, { ignoreip: ['svc_backup@example'] });
    expect(await list.check(subj('svc_backup@example', { ip: null }))).toBe('ip');
    expect(await list.check(subj('other', { ip: null }))).toBeNull();
    expect(resolve).not.toHaveBeenCalled(); // not a host name: never resolved
  });

  it('loads file: lists lazily through the reader and reloads them', async () => {
    let content = '# trusted\n192.0.2.5, 192.0.2.6 ; comment\n10.9.0.0/16\n';
    const readFile = vi.fn((path: string) => Promise.resolve(path === '/etc/trusted.list' ? content : null));
    const { list, clock } = make({ readFile }, { ignoreip: ['file:/etc/trusted.list'] });
    expect(readFile).not.toHaveBeenCalled();
    expect(await list.check(subj('192.0.2.6'))).toBe('ip');
    expect(await list.check(subj('10.9.3.3'))).toBe('ip');
    expect(await list.check(subj('192.0.2.7'))).toBeNull();
    expect(readFile).toHaveBeenCalledTimes(1);
    content = '192.0.2.7\n';
    clock.advance(2);
    expect(await list.check(subj('192.0.2.7'))).toBe('ip');
    expect(await list.check(subj('192.0.2.6'))).toBeNull();
    expect(list.entries()).toEqual(['file:/etc/trusted.list']);
  });

  it('ignores own addresses with ignoreself', async () => {
    const selfAddresses = vi.fn(() => Promise.resolve(['127.0.0.1', '::1', '192.0.2.99']));
    const { list } = make({ selfAddresses }, { ignoreself: true });
    expect(await list.check(subj('192.0.2.99'))).toBe('ignoreself rule');
    expect(await list.check(subj('::1'))).toBe('ignoreself rule');
    expect(await list.check(subj('192.0.2.98'))).toBeNull();
    list.ignoreself = false;
    expect(await list.check(subj('192.0.2.99'))).toBeNull();
    expect(selfAddresses).toHaveBeenCalledTimes(1);
  });

  it('adds, removes and lists entries (networks first, duplicates skipped)', () => {
    const { list } = make();
    list.add('192.0.2.1 10.0.0.0/8, example.invalid');
    list.add('192.0.2.1');
    list.add('10.0.0.0/8');
    expect(list.entries()).toEqual(['10.0.0.0/8', 'example.invalid', '192.0.2.1']);
    expect(list.remove('10.0.0.0/8')).toBe(true);
    expect(list.remove('10.0.0.0/8')).toBe(false);
    expect(list.remove('192.0.2.1')).toBe(true);
    expect(list.entries()).toEqual(['example.invalid']);
    list.clear();
    expect(list.entries()).toEqual([]);
  });

  it('keeps entries as fail2ban shows them: a /32, [v6] or mapped address is a single address', () => {
    const { list } = make();
    list.add('2001:DB8::7 ::ffff:10.1.1.1 10.2.2.2/32 [2001:db8::8] 10.3.3.3/24 foo.example');
    list.add('2001:db8::7');
    list.add('10.2.2.2');
    expect(list.entries()).toEqual(['10.3.3.0/24', 'foo.example', '2001:db8::7', '10.1.1.1', '10.2.2.2', '2001:db8::8']);
    expect(list.remove('2001:DB8::7')).toBe(true);
    expect(list.remove('10.3.3.9/255.255.255.0')).toBe(true);
    expect(list.entries()).toEqual(['foo.example', '10.1.1.1', '10.2.2.2', '2001:db8::8']);
  });
});

describe('ignorecommand and ignorecache', () => {
  it('ignores on exit 0, not on 1 nor on other statuses, logs errors', async () => {
    const codes: Record<string, number> = { '192.0.2.1': 0, '192.0.2.2': 1, '192.0.2.3': 2 };
    const runCommand = vi.fn((_cmd: string, s: IgnoreSubject) => {
      if (s.id === '192.0.2.4') return Promise.reject(new Error('spawn failed'));
      return Promise.resolve(codes[s.id] ?? 1);
    });
    const { list, log } = make({ runCommand }, { ignorecommand: '/usr/local/bin/check <ip>' });
    expect(await list.check(subj('192.0.2.1', { fields: { user: 'root' } }))).toBe('command');
    expect(runCommand).toHaveBeenCalledWith('/usr/local/bin/check <ip>', expect.objectContaining({ id: '192.0.2.1', fields: { user: 'root' } }));
    expect(await list.check(subj('192.0.2.2'))).toBeNull();
    expect(log).not.toHaveBeenCalled();
    expect(await list.check(subj('192.0.2.3'))).toBeNull();
    expect(log).not.toHaveBeenCalled(); // exit 2: the runner logs the command (fail2ban.utils)
    expect(await list.check(subj('192.0.2.4'))).toBeNull();
    expect(log).toHaveBeenLastCalledWith('ERROR', expect.stringMatching(/spawn failed/));
  });

  it('is only consulted after the address rules', async () => {
    const runCommand = vi.fn(() => Promise.resolve(0));
    const { list } = make({ runCommand }, { ignorecommand: 'x', ignoreip: ['192.0.2.0/24'] });
    expect(await list.check(subj('192.0.2.1'))).toBe('ip');
    expect(runCommand).not.toHaveBeenCalled();
  });

  it('caches decisions by key for max-time, at most max-count keys', async () => {
    const runCommand = vi.fn((_c: string, s: IgnoreSubject) => Promise.resolve(s.fields.user === 'good' ? 0 : 1));
    const { list, clock } = make({ runCommand }, { ignorecommand: 'x', ignorecache: 'key="<F-USER>", max-count=2, max-time=5m' });
    expect(list.getCache()).toBe('key="<F-USER>", max-count=2, max-time=5m');
    expect(await list.check(subj('192.0.2.1', { fields: { user: 'good' } }))).toBe('command');
    expect(await list.check(subj('192.0.2.2', { fields: { user: 'good' } }))).toBe('cache');
    expect(await list.check(subj('192.0.2.3', { fields: { user: 'bad' } }))).toBeNull();
    expect(await list.check(subj('192.0.2.4', { fields: { user: 'bad' } }))).toBeNull();
    expect(runCommand).toHaveBeenCalledTimes(2);
    await list.check(subj('192.0.2.5', { fields: { user: 'third' } })); // evicts the oldest key ("good")
    await list.check(subj('192.0.2.1', { fields: { user: 'good' } }));
    expect(runCommand).toHaveBeenCalledTimes(4);
    clock.advance(301);
    await list.check(subj('192.0.2.3', { fields: { user: 'bad' } }));
    expect(runCommand).toHaveBeenCalledTimes(5);
    list.setCache(null);
    expect(list.getCache()).toBeNull();
    expect(() => { list.setCache('max-count=3'); }).toThrow(/ignorecache/);
    // fail2ban's option parser words an unparsable rest by where it starts
    expect(() => { list.setCache('bad-spec'); }).toThrow(/^expected option, wrong syntax at 0: bad-spec$/);
    expect(() => { list.setCache('key="<ip>", ???'); }).toThrow(/^expected option, wrong syntax at 11: {2}\?\?\?$/);
  });
});

describe('network helpers', () => {
  it('lists an address with a prefix longer than itself as the address, among the networks (1.0.2)', () => {
    const { list } = make();
    list.add('192.0.2.0/24 198.51.100.7 ::1/129 198.51.100.1/33');
    expect(list.entries()).toEqual(['192.0.2.0/24', '::1', '198.51.100.1', '198.51.100.7']);
  });

  it('parse and match networks', () => {
    expect(parseNet('192.0.2.77/24')?.text).toBe('192.0.2.0/24');
    expect(parseNet('192.0.2.77/32')?.text).toBe('192.0.2.77');
    expect(parseNet('192.0.2.0/255.0.255.0')).toBeNull();
    expect(parseNet('192.0.2.0/33')).toBeNull();
    expect(parseNet('2001:db8::1/64')?.text).toBe('2001:db8::/64');
    const m = networkMatcher('2001:db8::/32')!;
    expect(m('2001:db8:1::1')).toBe(true);
    expect(m('2001:db9::1')).toBe(false);
    expect(m('user')).toBe(false);
    expect(networkMatcher('192.0.2.1')).toBeNull();
  });
});
