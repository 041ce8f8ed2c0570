import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileFailRegex, expandTags } from './index.js';

// The building blocks as written in the CPython fixture generator (anatomy §2.2).
const fx = JSON.parse(readFileSync(new URL('./fixtures/python-cases.json', import.meta.url), 'utf8')) as {
  tags: { HOST: string; ADDR: string };
};

describe('expandTags', () => {
  it('expands <HOST> and <ADDR> to the fail2ban building blocks', () => {
    expect(expandTags('<HOST>')).toBe(fx.tags.HOST);
    expect(expandTags('<ADDR>')).toBe(fx.tags.ADDR);
    expect(expandTags('<F-ADDR/>')).toBe(fx.tags.ADDR);
  });

  it('drops the dns alternative when usedns = no', () => {
    expect(expandTags('<HOST>', { usedns: 'no' })).toBe(fx.tags.ADDR);
    expect(expandTags('<HOST>', { usedns: 'raw' })).toBe(fx.tags.HOST);
  });

  it('expands the address, subnet and id tags', () => {
    expect(expandTags('<IP4>')).toBe(String.raw`(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})`);
    expect(expandTags('<F-IP6/>')).toMatch(/^\(\?P<ip6>/);
    expect(expandTags('<DNS>')).toBe(String.raw`(?P<dns>[\w\-.^_]*\w)`);
    expect(expandTags('<CIDR>')).toBe(String.raw`(?P<cidr>\d+)`);
    expect(expandTags('<SUBNET>')).toContain(String.raw`(?:/(?P<cidr>\d+))?\]?`);
    expect(expandTags('<F-ID/>')).toBe(String.raw`(?P<fid>\S+)`);
    expect(expandTags('<F-PORT/>')).toBe(String.raw`(?P<fport>\w+)`);
  });

  it('turns <F-NAME>…</F-NAME> into lower-cased named groups', () => {
    expect(expandTags('<F-USER>\\S+</F-USER>')).toBe('(?P<user>\\S+)');
    expect(expandTags('<F-ID>x</F-ID> <F-PORT>1</F-PORT>')).toBe('(?P<fid>x) (?P<fport>1)');
    expect(expandTags('<F-ALT_USER1>a</F-ALT_USER1>')).toBe('(?P<alt_user1>a)');
    expect(expandTags('<F-MLFID>a</F-MLFID><F-NOFAIL><F-MLFFORGET><F-MLFGAINED><F-CONTENT>.+</F-CONTENT>')).toBe(
      '(?P<mlfid>a)(?P<nofail>(?P<mlfforget>(?P<mlfgained>(?P<content>.+)',
    );
    expect(expandTags('<F-TUPLE_X>a</F-TUPLE_X>')).toBe('(?P<tuple_x>a)');
  });

  it('leaves unknown tags and unopened closers literal', () => {
    expect(expandTags('a</F-USER>b')).toBe('a</F-USER>b');
    expect(expandTags('<foo> <F-user> <F-USER/> <known/x>')).toBe('<foo> <F-user> <F-USER/> <known/x>');
  });

  it('numbers <SKIPLINES>', () => {
    expect(expandTags('a<SKIPLINES>b<SKIPLINES>c')).toBe(
      String.raw`a\n(?P<skiplines0>(?:(?:.*\n)*?))b\n(?P<skiplines1>(?:(?:.*\n)*?))c`,
    );
  });
});

describe('compileFailRegex', () => {
  it('matches an sshd-style line with conditional groups', () => {
    const re = compileFailRegex(
      String.raw`^Failed \S+ for (?P<cond_inv>invalid user )?<F-USER>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)</F-USER> from <HOST>(?: port \d+)?(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)`,
      { multiline: false },
    );
    expect(re.exec('Failed password for invalid user a b from 2001:db8::1 port 22 ssh2')?.groups).toMatchObject({
      user: 'a b',
      ip6: '2001:db8::1',
      cond_inv: 'invalid user ',
      cond_user: undefined,
    });
    expect(re.exec('Failed password for root from 10.0.0.1 port 22 ssh2: RSA SHA256:x')?.groups).toMatchObject({
      user: 'root',
      ip4: '10.0.0.1',
    });
    // no ": " after the cond_user branch: Python backtracks into the [^:]+ branch, which matches
    expect(re.exec('Failed password for root from 10.0.0.1 port 22 ssh2 trailing')?.groups).toMatchObject({
      user: 'root',
      cond_user: undefined,
    });
  });

  it('uses MULTILINE semantics in multi-line mode', () => {
    const re = compileFailRegex('^start<SKIPLINES>^fail from <HOST>$', { multiline: true });
    const m = re.exec('start\nnoise\nfail from 1.2.3.4\n');
    expect(m?.groups).toMatchObject({ ip4: '1.2.3.4', skiplines0: 'noise\n' });
  });
});
