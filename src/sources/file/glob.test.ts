import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandGlob, hasMagic, matchComponent } from './glob.js';

describe('glob', () => {
  it('matches components with *, ?, [...] and [!...], hiding dot files', () => {
    expect(matchComponent('*.log', 'auth.log')).toBe(true);
    expect(matchComponent('*.log', '.hidden.log')).toBe(false);
    expect(matchComponent('.*.log', '.hidden.log')).toBe(true);
    expect(matchComponent('a?c', 'abc')).toBe(true);
    expect(matchComponent('a?c', 'ac')).toBe(false);
    expect(matchComponent('x[0-9].log', 'x7.log')).toBe(true);
    expect(matchComponent('x[!0-9].log', 'x7.log')).toBe(false);
    expect(matchComponent('x[]].log', 'x].log')).toBe(true);
    expect(matchComponent('x[.log', 'x[.log')).toBe(true);
    expect(matchComponent('a+b(c)', 'a+b(c)')).toBe(true);
    expect(hasMagic('/var/log/*.log')).toBe(true);
    expect(hasMagic('/var/log/auth.log')).toBe(false);
  });

  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'logjail-glob-'));
    for (const d of ['site1', 'site2', 'other']) mkdirSync(join(dir, d));
    for (const f of ['site1/access.log', 'site2/access.log', 'site2/error.log', 'other/access.log'])
      writeFileSync(join(dir, f), '');
    mkdirSync(join(dir, 'site1', 'dir.log'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'site2', 'gone.log'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('expands several components, skips directories, reports dangling links', async () => {
    const r = await expandGlob(join(dir, 'site?/*.log'));
    expect(r.files).toEqual([
      join(dir, 'site1/access.log'),
      join(dir, 'site2/access.log'),
      join(dir, 'site2/error.log'),
    ]);
    expect(r.dangling).toEqual([join(dir, 'site2/gone.log')]);
    expect((await expandGlob(join(dir, 'nope/*.log'))).files).toEqual([]);
    expect((await expandGlob(join(dir, 'other/access.log'))).files).toEqual([join(dir, 'other/access.log')]);
  });
});
