import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIni, readIniFile } from './ini.js';
import { cleanupTrees, makeTree, messageOf } from './tree.case.js';

const F = '/etc/x/test.conf';

function entries(text: string, section: string): Record<string, string> {
  const ini = parseIni(text, F);
  return Object.fromEntries([...(ini.sections.get(section)?.entries ?? [])].map(([k, e]) => [k, e.value]));
}

describe('parseIni (configparser semantics)', () => {
  it('reads sections, = and : separators, lower-cases keys but not section names', () => {
    const ini = parseIni('[Definition]\nFailRegex = a\nMaxLines: 2\n[Init]\nx=1\n', F);
    expect([...ini.sections.keys()]).toEqual(['Definition', 'Init']);
    expect(entries('[Definition]\nFailRegex = a\nMaxLines: 2\n', 'Definition')).toEqual({ failregex: 'a', maxlines: '2' });
  });

  it('splits the key at the first = or : (values keep later ones)', () => {
    expect(entries('[s]\nurl = http://x:80/a=b\nk: v = w\n', 's')).toEqual({ url: 'http://x:80/a=b', k: 'v = w' });
  });

  it('treats # and ; lines as comments, even indented, and only " ;" as inline comment', () => {
    const text = '[s]\n# c1\n; c2\na = x # not a comment\nb = y ; comment\nc = z;not\nd = ;all comment\n    # indented comment\n';
    expect(entries(text, 's')).toEqual({ a: 'x # not a comment', b: 'y', c: 'z;not', d: '' });
  });

  it('joins indented continuation lines with \\n, keeps inner empty lines, drops trailing ones', () => {
    const text = '[s]\nfailregex = one\n    two\n\n\tthree\n\n\nnext = 1\n';
    expect(entries(text, 's')).toEqual({ failregex: 'one\ntwo\n\nthree', next: '1' });
  });

  it('continues a value across comment lines and keeps a leading empty first line', () => {
    expect(entries('[s]\na =\n  x\n# c\n  y\n', 's')).toEqual({ a: '\nx\ny' });
  });

  it('a line indented less than the value is a new key', () => {
    expect(entries('[s]\n  a = 1\n b = 2\n', 's')).toEqual({ a: '1', b: '2' });
  });

  it('keeps the file:line of each key and of each value line', () => {
    const ini = parseIni('[s]\n\na = 1\n  2\n\n  3\n', F);
    const e = ini.sections.get('s')!.entries.get('a')!;
    expect(e.where).toEqual({ file: F, line: 3 });
    expect(e.lines.map((w) => w.line)).toEqual([3, 4, 5, 6]);
    expect(ini.sections.get('s')!.where).toEqual({ file: F, line: 1 });
  });

  it('keeps %% and tags untouched (interpolation happens later)', () => {
    expect(entries('[s]\nd = %%Y-%%m <HOST>\n', 's')).toEqual({ d: '%%Y-%%m <HOST>' });
  });

  it('accepts CRLF line ends', () => {
    expect(entries('[s]\r\na = 1\r\n  2\r\n', 's')).toEqual({ a: '1\n2' });
  });

  it('rejects a bad line with file:line', () => {
    expect(() => parseIni('[s]\na = 1\nthis is not an option\n', F)).toThrow(ConfigError);
    expect(() => parseIni('[s]\na = 1\nthis is not an option\n', F)).toThrow(
      `${F}:3: syntax error: expected 'key = value', '[section]' or an indented continuation line, got 'this is not an option'`,
    );
  });

  it('rejects keys before any section, empty keys, duplicate sections and keys in one file', () => {
    expect(() => parseIni('a = 1\n', F)).toThrow(`${F}:1: 'a = 1' appears before any [section] header`);
    expect(() => parseIni('[s]\n= 1\n', F)).toThrow(`${F}:2: syntax error`);
    expect(() => parseIni('[s]\n[t]\n[s]\n', F)).toThrow(`${F}:3: duplicate section [s]`);
    expect(() => parseIni('[s]\na = 1\nA = 2\n', F)).toThrow(`${F}:3: duplicate key 'a' in section [s]`);
  });

  it('allows [DEFAULT] more than once', () => {
    expect(entries('[DEFAULT]\na = 1\n[s]\n[DEFAULT]\nb = 2\n', 'DEFAULT')).toEqual({ a: '1', b: '2' });
  });

  it('section header may carry a conditional suffix', () => {
    const ini = parseIni('[Init?family=inet6]\nblocktype = DROP\n', F);
    expect([...ini.sections.keys()]).toEqual(['Init?family=inet6']);
  });
});

describe('readIniFile', () => {
  afterAll(cleanupTrees);
  it('names file:line and the byte of a non-UTF-8 file; valid multi-byte text reads', () => {
    const dir = makeTree({ 'ok.conf': '[s]\nnote = café ✓ 𝄞\n' });
    expect(readIniFile(join(dir, 'ok.conf')).sections.get('s')!.entries.get('note')!.value).toBe('café ✓ 𝄞');
    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, Buffer.concat([Buffer.from('[s]\nnote = café\nmaxretry = 5 ; caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(messageOf(() => readIniFile(bad))).toBe(`${bad}:3: byte 0xe9 is not valid UTF-8 (config files must be UTF-8)`);
  });
});
