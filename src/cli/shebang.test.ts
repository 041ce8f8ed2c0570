import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../../bench/util.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

describe('binaries run node with the V8 flags the bench measures', () => {
  it.each(Object.entries(pkg.bin))('%s', (_name, dist) => {
    const src = `${root}${dist.replace(/^dist\//, '').replace(/\.js$/, '.ts')}`;
    const first = readFileSync(src, 'utf8').split('\n')[0];
    expect(first).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  });

  it('npm start', () => {
    expect(pkg.scripts.start).toContain(`node ${NODE_FLAGS.join(' ')} dist/src/cli/logjail.js server`);
  });
});
