import { describe, expect, it } from 'vitest';
import { ConfigSet } from './configset.js';
import { parseIni } from './ini.js';
import { getOption } from './interpolate.js';
import { messageOf } from './tree.case.js';

function set(...texts: string[]): ConfigSet {
  const cs = new ConfigSet();
  texts.forEach((t, i) => {
    cs.merge(parseIni(t, `/c/f${i}.conf`));
  });
  return cs;
}

describe('%(name)s interpolation', () => {
  const cs = set(
    [
      '[DEFAULT]',
      'port = 22',
      'banaction = iptables',
      'action_ = %(banaction)s[port="%(port)s", name=%(__name__)s]',
      'action = %(action_)s',
      '[sshd]',
      'port = 2222',
      'action = %(default/action_)s',
      'other = %(nsd/port)s and %(default/port)s',
      'pct = 100%% %%Y',
      '[nsd]',
      'port = 53',
    ].join('\n'),
  );

  it('looks in the section, then DEFAULT; __name__ is the section', () => {
    expect(getOption({ cs, section: 'nsd' }, 'action')).toBe('iptables[port="53", name=nsd]');
    expect(getOption({ cs, section: 'sshd' }, 'other')).toBe('53 and 22');
  });

  it('%(default/x)s takes the DEFAULT value but interpolates it in the current section', () => {
    expect(getOption({ cs, section: 'sshd' }, 'action')).toBe('iptables[port="2222", name=sshd]');
  });

  it('vars win over the section and DEFAULT', () => {
    expect(getOption({ cs, section: 'sshd', vars: { port: '99' } }, 'action')).toBe('iptables[port="99", name=sshd]');
  });

  it('%% is a literal %', () => {
    expect(getOption({ cs, section: 'sshd' }, 'pct')).toBe('100% %Y');
  });

  it('%(known/x)s is the value of an earlier file, falling back to DEFAULT', () => {
    const k = set(
      '[DEFAULT]\n__prefix_line = PFX\n[Definition]\nfailregex = a\n',
      '[Definition]\nfailregex = %(known/failregex)s\n  b\n__prefix_line = %(known/__prefix_line)s+more\n',
    );
    expect(getOption({ cs: k, section: 'Definition' }, 'failregex')).toBe('a\nb');
    expect(getOption({ cs: k, section: 'Definition' }, '__prefix_line')).toBe('PFX+more');
  });

  it('unknown keys fail with file:line, key and section', () => {
    const bad = set('[s]\nx = 1\ny = a %(nope)s b\n');
    expect(messageOf(() => getOption({ cs: bad, section: 's' }, 'y'))).toBe(
      "/c/f0.conf:3: unknown interpolation key '%(nope)s' in option 'y' of [s]",
    );
  });

  it('names the innermost value that holds the bad reference', () => {
    const bad = set('[s]\nx = %(y)s\ny = %(z)s\n');
    expect(messageOf(() => getOption({ cs: bad, section: 's' }, 'x'))).toBe(
      "/c/f0.conf:3: unknown interpolation key '%(z)s' in option 'y' of [s]",
    );
  });

  it('a stray % is an error', () => {
    const bad = set('[s]\nd = %Y-%m\n');
    expect(messageOf(() => getOption({ cs: bad, section: 's' }, 'd'))).toBe(
      "/c/f0.conf:2: '%' must be followed by '%' or '(' in option 'd' of [s], found '%Y-%m' (write %% for a literal %)",
    );
  });

  it('stops loops after 10 levels', () => {
    const loop = set('[s]\na = %(b)s\nb = %(a)s\n');
    expect(messageOf(() => getOption({ cs: loop, section: 's' }, 'a'))).toMatch(
      /^\/c\/f0\.conf:[23]: interpolation deeper than 10 levels \(a reference loop\?\) in option '[ab]' of \[s\]$/,
    );
    // exactly 10 levels still work
    const lines = ['[s]', ...Array.from({ length: 9 }, (_, i) => `v${i} = %(v${i + 1})s`), 'v9 = end%%'];
    expect(getOption({ cs: set(lines.join('\n')), section: 's' }, 'v0')).toBe('end%');
    const deeper = ['[s]', 'w = %(v0)s', ...lines.slice(1)];
    expect(messageOf(() => getOption({ cs: set(deeper.join('\n')), section: 's' }, 'w'))).toMatch(/interpolation deeper than 10 levels/);
  });
});
