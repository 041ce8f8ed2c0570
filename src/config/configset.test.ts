import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readConfigSet } from './configset.js';
import { getOption } from './interpolate.js';
import { cleanupTrees, makeTree, messageOf } from './tree.case.js';

afterAll(cleanupTrees);

describe('readConfigSet', () => {
  it('reads .conf, .d/*.conf (sorted), .local, .d/*.local (sorted) and merges key by key', () => {
    const dir = makeTree({
      'jail.conf': '[s]\na = conf\nb = conf\nc = conf\nd = conf\n',
      'jail.d/20-x.conf': '[s]\nb = d20\n',
      'jail.d/10-x.conf': '[s]\nb = d10\nc = d10\n',
      'jail.local': '[s]\nc = local\nd = local\n',
      'jail.d/x.local': '[s]\nd = dlocal\n',
    });
    const cs = readConfigSet(dir, 'jail');
    expect(cs.files.map((f) => f.slice(dir.length + 1))).toEqual(['jail.conf', 'jail.d/10-x.conf', 'jail.d/20-x.conf', 'jail.local', 'jail.d/x.local']);
    const v = (k: string) => cs.own('s', k)?.value;
    expect([v('a'), v('b'), v('c'), v('d')]).toEqual(['conf', 'd20', 'local', 'dlocal']);
    expect(cs.own('s', 'd')?.where).toEqual({ file: join(dir, 'jail.d/x.local'), line: 2 });
  });

  it('expands [INCLUDES] before/after relative to the including file, with sibling .local and a cycle guard', () => {
    const dir = makeTree({
      'filter.d/f.conf': '[INCLUDES]\nbefore = common.conf\nafter = post.conf\n[Definition]\nx = f\n',
      'filter.d/common.conf': '[INCLUDES]\nbefore = f.conf\n[DEFAULT]\ny = common\n',
      'filter.d/common.local': '[DEFAULT]\ny = common-local\n',
      'filter.d/post.conf': '[Definition]\nz = post\n',
    });
    const cs = readConfigSet(dir, 'filter.d/f');
    expect(cs.files.map((f) => f.slice(dir.length + 1))).toEqual([
      'filter.d/common.conf',
      'filter.d/common.local',
      'filter.d/f.conf',
      'filter.d/post.conf',
    ]);
    expect(cs.lookup('Definition', 'y')?.value).toBe('common-local');
    expect(cs.own('Definition', 'z')?.value).toBe('post');
  });

  it('merges conditional sections into the base section with suffixed keys', () => {
    const dir = makeTree({ 'action.d/a.conf': '[Init]\nblocktype = REJECT\n[Init?family=inet6]\nblocktype = DROP6\n' });
    const cs = readConfigSet(dir, 'action.d/a');
    expect(cs.ownKeys('Init')).toEqual(['blocktype', 'blocktype?family=inet6']);
    expect(cs.sectionNames()).toEqual(['Init']);
  });

  it('remembers overridden values for %(known/x)s, across several files', () => {
    const dir = makeTree({
      'filter.d/f.conf': '[Definition]\nfailregex = one\n',
      'filter.d/f.local': '[Definition]\nfailregex = %(known/failregex)s\n            two\n',
      'filter.d/f.d/z.local': '[Definition]\nfailregex = %(known/failregex)s\n            three\n',
    });
    const cs = readConfigSet(dir, 'filter.d/f');
    expect(getOption({ cs, section: 'Definition' }, 'failregex')).toBe('one\ntwo\nthree');
  });

  it('names every path tried when nothing exists', () => {
    const dir = makeTree({});
    expect(messageOf(() => readConfigSet(dir, 'jail'))).toBe(
      `Found no accessible config files for 'jail'; tried ${dir}/jail.conf, ${dir}/jail.d/*.conf, ${dir}/jail.local, ${dir}/jail.d/*.local`,
    );
  });

  it('a syntax error in an included file aborts with its file:line', () => {
    const dir = makeTree({ 'jail.conf': '[INCLUDES]\nbefore = paths.conf\n[s]\n', 'paths.conf': '[DEFAULT]\nok = 1\nbroken line\n' });
    expect(messageOf(() => readConfigSet(dir, 'jail'))).toMatch(new RegExp(`^${dir}/paths\\.conf:3: syntax error`));
  });
});
