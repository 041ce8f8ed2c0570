import { afterAll, describe, expect, it } from 'vitest';
import { ProcessRunner } from './runner.js';
import { encodeRequest, runOnZygote, stopZygotes, type ShellJob } from './shell-pool.js';

afterAll(() => {
  stopZygotes();
});

const job = (script: string, args: string[] = [], timeout = 10): ShellJob => ({
  script,
  args,
  timeout,
  graceMs: 200,
  maxStdout: 65536,
  maxStderr: 65536,
});
const env = { ...process.env, LJ_POOL_TEST: 'yes' };
const run = (script: string, args: string[] = [], timeout = 10) => {
  const p = runOnZygote(job(script, args, timeout), [], env);
  if (!p) throw new Error('no zygote');
  return p;
};

describe('runOnZygote', () => {
  it('passes values byte for byte as positional parameters, never as shell text', async () => {
    const values = [
      'a b',
      '$(touch /tmp/lj-pwned)',
      'it\'s "q" `x` \\n \\',
      'two\nlines\n',
      '',
      '\r\n\t end ',
      'ü€😀',
    ];
    const r = await run('for v in "$@"; do printf "[%s]" "$v"; done; printf "%s" "$#"', values);
    expect(r).toMatchObject({ ok: true, code: 0, timedOut: false, stderr: '' });
    expect(r.stdout).toBe(values.map((v) => `[${v}]`).join('') + String(values.length));
  });

  it('gives each command a fresh shell with stdin at /dev/null and the runner environment', async () => {
    const a = await run('x=1; f() { :; }; cat; echo "$LJ_POOL_TEST ${x:-} $0"');
    expect(a.stdout).toBe('yes 1 sh\n');
    const b = await run(
      'echo "${x:-unset} ${__lj_s:+}"; command -v f || echo nof; command -v __lj_item || echo noitem',
    );
    expect(b.stdout).toBe('unset \nnof\nnoitem\n');
  });

  it('reports exit status, stderr and syntax errors, and keeps serving after them', async () => {
    expect(await run('echo out; echo err >&2; exit 7')).toMatchObject({
      ok: false,
      code: 7,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    const syn = await run('if then fi');
    expect(syn.ok).toBe(false);
    expect(syn.code).toBe(2);
    expect(await run('printf done')).toMatchObject({ ok: true, stdout: 'done' });
  });

  it('output without a final newline and multi-line scripts', async () => {
    const r = await run('printf a\nprintf "%s" "$1"\nprintf c >&2', ['b']);
    expect(r).toMatchObject({ ok: true, stdout: 'ab', stderr: 'c' });
  });

  it('kills the command on timeout and starts a new shell after', async () => {
    const r = await run('sleep 30', [], 0.3);
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(await run('echo again')).toMatchObject({ ok: true, stdout: 'again\n' });
  });

  it('survives a command that kills its shell', async () => {
    const r = await run('kill -9 $$');
    expect(r.ok).toBe(false);
    expect(await run('echo fine')).toMatchObject({ ok: true, stdout: 'fine\n' });
  });

  it('runs commands side by side, one shell each', async () => {
    const rs = await Promise.all([1, 2, 3].map(() => run('sleep 0.3; echo $$')));
    expect(rs.every((r) => r.ok)).toBe(true);
    // $$ is the shell's pid: three commands at once ran on three shells
    expect(new Set(rs.map((r) => r.stdout)).size).toBe(3);
  });

  it('declines what it cannot carry (large payloads, NUL bytes)', () => {
    expect(runOnZygote(job('echo', ['x'.repeat(20_000)]), [], env)).toBeNull();
    expect(runOnZygote(job('echo', ['a\0b']), [], env)).toBeNull();
  });

  it('encodes items as line counts', () => {
    expect(encodeRequest('echo', ['a\nb', ''])).toBe('1\necho\n1\n2\n2\na\nb\n1\n\n');
  });
});

describe('ProcessRunner on zygotes', () => {
  it('takes the same path for sh -c with and without values, and the plain path otherwise', async () => {
    const r = new ProcessRunner();
    expect((await r.run({ args: ['-c', 'echo "$1"', 'sh', 'v 1'], timeout: 10 })).stdout).toBe('v 1\n');
    expect((await r.run({ args: ['-c', 'cat'], stdin: 'in', timeout: 10 })).stdout).toBe('in');
    const cold = new ProcessRunner({ zygote: false });
    expect((await cold.run({ args: ['-c', 'echo $$'], timeout: 10 })).ok).toBe(true);
  });
});
