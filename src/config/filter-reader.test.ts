import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFilter } from './filter-reader.js';
import { cleanupTrees, makeTree, messageOf } from './tree.case.js';

afterAll(cleanupTrees);

const COMMON = [
  '[INCLUDES]',
  'after = common.local',
  '[DEFAULT]',
  'logtype = file',
  '_daemon = \\S*',
  '__prefix_line = <lt_<logtype>/__prefix_line>',
  'datepattern = <lt_<logtype>/datepattern>',
  '[lt_file]',
  '__prefix_line = \\s*<_daemon>:\\s+',
  'datepattern = {^LN-BEG}',
  '[lt_journal]',
  '__prefix_line = \\s*',
  'datepattern = %(lt_file/datepattern)s',
].join('\n');

const SSHD = [
  '[INCLUDES]', //                                   1
  'before = common.conf', //                          2
  '[Definition]', //                                  3
  '_daemon = sshd', //                                4
  'cmn = ^Failed for <F-USER>\\S+</F-USER> from <HOST>$', // 5
  '      ^Invalid user from <HOST>$', //              6
  'mdre-normal =', //                                 7
  'mdre-ddos = ^Did not receive identification from <HOST>', // 8
  '            ^Timeout from <HOST>', //              9
  'mdre-aggressive = %(mdre-ddos)s', //               10
  'failregex = %(cmn)s', //                           11
  '            <mdre-<mode>>', //                     12
  '            ^Connection from <HOST> port %(port)s$', // 13
  'prefregex = ^%(__prefix_line)s<F-CONTENT>.+</F-CONTENT>$', // 14
  'ignoreregex =', //                                 15
  'maxlines = 1', //                                  16
  'journalmatch = _SYSTEMD_UNIT=sshd.service + _COMM=sshd', // 17
  'mode = normal', //                                 18
  'port = \\d+', //                                   19
  'who = def', //                                     20
  'summary = <who>/<mode>', //                        21
  '[Init]', //                                        22
  'who = init', //                                    23
].join('\n');

describe('readFilter', () => {
  const dir = makeTree({ 'filter.d/common.conf': COMMON, 'filter.d/sshd.conf': SSHD });
  const file = join(dir, 'filter.d/sshd.conf');

  it('resolves interpolation, nested tags and section/option tags; runtime tags survive', () => {
    const f = readFilter(dir, 'sshd');
    expect(f.name).toBe('sshd');
    expect(f.file).toBe(file);
    expect(f.prefregex).toBe('^\\s*sshd:\\s+<F-CONTENT>.+</F-CONTENT>$');
    expect(f.failregex.map((r) => r.regex)).toEqual([
      '^Failed for <F-USER>\\S+</F-USER> from <HOST>$',
      '^Invalid user from <HOST>$',
      '^Connection from <HOST> port \\d+$',
    ]);
    expect(f.ignoreregex).toEqual([]);
    expect(f.datepattern).toBe('{^LN-BEG}');
    expect(f.journalmatch).toEqual(['_SYSTEMD_UNIT=sshd.service + _COMM=sshd']);
    expect(f.maxlines).toBe(1);
    expect(f.usedns).toBeNull();
  });

  it('keeps the file:line each regex line was written on', () => {
    const f = readFilter(dir, 'sshd[mode=aggressive]');
    expect(f.failregex.map((r) => [r.regex.slice(0, 16), r.where.line])).toEqual([
      ['^Failed for <F-U', 5],
      ['^Invalid user fr', 6],
      ['^Did not receive', 8],
      ['^Timeout from <H', 9],
      ['^Connection from', 13],
    ]);
    expect(f.failregex[0]!.where.file).toBe(file);
  });

  it('parameters override [Init], which overrides [Definition]; parameters reach %(x)s', () => {
    expect(readFilter(dir, 'sshd').options.summary).toBe('init/normal');
    const f = readFilter(dir, 'sshd[who=param]', { port: '22', mode: 'ddos' });
    expect(f.options.summary).toBe('param/ddos');
    expect(f.failregex.map((r) => r.regex)).toContain('^Connection from <HOST> port 22$');
    expect(f.failregex).toHaveLength(5);
    expect(f.options['known/who']).toBe('init');
  });

  it('logtype follows the backend unless given', () => {
    expect(readFilter(dir, 'sshd', {}, { backend: 'systemd' }).prefregex).toBe('^\\s*<F-CONTENT>.+</F-CONTENT>$');
    expect(readFilter(dir, 'sshd', {}, { backend: 'systemd' }).datepattern).toBe('{^LN-BEG}');
    expect(readFilter(dir, 'sshd', { logtype: 'file' }, { backend: 'systemd' }).options.logtype).toBe('file');
    expect(readFilter(dir, 'sshd', {}, { backend: 'auto' }).options.logtype).toBe('file');
  });

  it('jail-level filter options replace the filter’s', () => {
    const f = readFilter(dir, 'sshd', {}, { failregex: '^a <HOST>\n^b <HOST>', maxlines: '3', usedns: 'no', ignoreregex: '^x' });
    expect(f.failregex.map((r) => r.regex)).toEqual(['^a <HOST>', '^b <HOST>']);
    expect(f.ignoreregex.map((r) => r.regex)).toEqual(['^x']);
    expect(f.maxlines).toBe(3);
    expect(f.usedns).toBe('no');
  });

  it('reads a filter given by path (fail2ban-regex style), includes relative to it', () => {
    const f = readFilter('/nonexistent', file);
    expect(f.name).toBe('sshd');
    expect(f.failregex).toHaveLength(3);
    expect(readFilter('/nonexistent', `${file}[mode=ddos]`).failregex).toHaveLength(5);
  });

  it('%(known/x)s in a .local extends the .conf value', () => {
    const d = makeTree({
      'filter.d/common.conf': COMMON,
      'filter.d/sshd.conf': SSHD,
      'filter.d/sshd.local': '[Definition]\nfailregex = %(known/failregex)s\n            ^Extra <HOST>$\n',
    });
    const f = readFilter(d, 'sshd');
    expect(f.failregex.map((r) => r.regex).at(-1)).toBe('^Extra <HOST>$');
    expect(f.failregex.at(-1)!.where).toEqual({ file: join(d, 'filter.d/sshd.local'), line: 3 });
    expect(f.failregex.at(0)!.where).toEqual({ file: join(d, 'filter.d/sshd.conf'), line: 5 });
  });

  it('rejects a bad maxlines with file:line', () => {
    const d = makeTree({ 'filter.d/f.conf': '[Definition]\nfailregex = x <HOST>\nmaxlines = zero\n' });
    expect(messageOf(() => readFilter(d, 'f'))).toBe(`${d}/filter.d/f.conf:3: bad value 'zero' for 'maxlines' (expected an integer >= 1)`);
  });

  it('an unknown key names the included file that was not found', () => {
    const d = makeTree({ 'filter.d/f.conf': '[INCLUDES]\nbefore = ../lib/common.conf\n[Definition]\nfailregex = %(__prefix_line)s <HOST>\n' });
    expect(messageOf(() => readFilter(d, 'f'))).toBe(
      `${d}/filter.d/f.conf:4: unknown interpolation key '%(__prefix_line)s' in option 'failregex' of [Definition]; ` +
        `note: included file not found: ${d}/lib/common.conf (included at ${d}/filter.d/f.conf:2)`,
    );
  });

  it('a missing filter names every path searched and hints at filters.d/', () => {
    const d = makeTree({ 'filter.d/other.conf': '[Definition]\n', 'filters.d/dovecot.conf': '[Definition]\n' });
    expect(messageOf(() => readFilter(d, 'dovecot'))).toBe(
      `filter 'dovecot' not found; searched ${d}/filter.d/dovecot.conf, ${d}/filter.d/dovecot.d/*.conf, ` +
        `${d}/filter.d/dovecot.local, ${d}/filter.d/dovecot.d/*.local; ` +
        `found ${d}/filters.d/dovecot.conf: filters are read from filter.d/, not filters.d/`,
    );
  });

  it('a mode the filter does not define names the jail line (or the filter line) and the modes there are', () => {
    const d = makeTree({
      'filter.d/m.conf': '[Definition]\nmdre-normal = ^n <HOST>\nmdre-aggressive = ^a <HOST>\nx-normal = \nx-aggressive = \nfailregex = <mdre-<mode>>\n  <x-<mode>>\n[Init]\nmode = normal\n',
      'filter.d/n.conf': '[Definition]\nfailregex = <mdre-<mode>>\nmdre-normal = ^n <HOST>\n[Init]\nmode = fast\n',
    });
    expect(readFilter(d, 'm[mode=aggressive]').failregex.map((r) => r.regex)).toEqual(['^a <HOST>']);
    expect(messageOf(() => readFilter(d, 'm[mode=nosuch]', {}, {}, { where: { file: '/j.conf', line: 4 } }))).toBe(
      "/j.conf:4: filter 'm' has no mode 'nosuch' (no option 'mdre-nosuch'; modes: normal, aggressive)",
    );
    expect(messageOf(() => readFilter(d, 'n'))).toBe(`${d}/filter.d/n.conf:5: filter 'n' has no mode 'fast' (no option 'mdre-fast'; modes: normal)`);
  });
});
