import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const linear = fileURLToPath(new URL('./linear.ts', import.meta.url));

/**
 * Which patterns fell back to the linear engine: V8 reports each fallback with
 * --trace-experimental-regexp-engine, so this runs in a child process. The line below needs a few
 * thousand backtracks (three loops share the run of "a"s): between the small and the big limit.
 */
function fallbacks(): Record<string, boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'logjail-linear-'));
  const script = join(dir, 'probe.ts');
  writeFileSync(
    script,
    `import { enableLinearFallback, primeBacktrackLimit } from ${JSON.stringify(linear)};
enableLinearFallback();
const line = 'a'.repeat(40);
const cubic = '^(?:a|b)*(?:a|c)*(?:a|d)*e';
const big = '(?:' + 'z'.repeat(9000) + ')?';
const cases: [string, RegExp][] = [
  ['small primed', primeBacktrackLimit(new RegExp(cubic + '(?:1)?'))],
  ['small unprimed', new RegExp(cubic + '(?:2)?')],
  ['big primed', primeBacktrackLimit(new RegExp(cubic + big))],
];
for (const [name, re] of cases) {
  console.log('case ' + name);
  if (re.exec(line) !== null) throw new Error('matched');
}
`,
  );
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--trace-experimental-regexp-engine', script], { encoding: 'utf8' });
    const res: Record<string, boolean> = {};
    let current = '';
    for (const l of out.split('\n')) {
      if (l.startsWith('case ')) res[(current = l.slice(5))] = false;
      else if (current && l.includes('(oneshot)')) res[current] = true;
    }
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('backtrack limit per pattern size', () => {
  it('small patterns fall back early, big ones and the default late', () => {
    expect(fallbacks()).toEqual({ 'small primed': true, 'small unprimed': false, 'big primed': false });
  });
});
