/** banMany/unbanMany against stub `nft`/`ipset` programs on PATH that count their invocations. */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandAction } from './command-action.js';
import { ProcessRunner } from './runner.js';
import { actionFromText, captureLog, jailStub, tempDir, ticket } from './test-helpers.js';

const root = tempDir('lj-batch-');
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let dir = '';
let n = 0;

/** A stub tool: records "<args>" per call and its stdin; fails when args or stdin mention 192.0.2.66. */
function stub(name: string): void {
  const p = join(dir, 'bin', name);
  writeFileSync(
    p,
    `#!/bin/sh
echo "$*" >> ${dir}/${name}.calls
case "$*" in *192.0.2.66*) exit 1;; esac
case "$*" in *-f*|restore*) input=$(cat); printf '%s\\n' "$input" >> ${dir}/${name}.stdin
  case "$input" in *192.0.2.66*) exit 1;; esac;;
esac
exit 0
`,
  );
  chmodSync(p, 0o755);
}

beforeEach(() => {
  dir = join(root, String(++n));
  mkdirSync(join(dir, 'bin'), { recursive: true });
  stub('nft');
  stub('ipset');
});

const read = (f: string): string[] => {
  const p = join(dir, f);
  return existsSync(p) ? readFileSync(p, 'utf8').trim().split('\n').filter(Boolean) : [];
};

const NFT = `
[Definition]
actionstart = nft add set inet t <set> \\{ type <addr>\\; \\}
actionstop = nft delete set inet t <set>
actionban = nft add element inet t <set> \\{ <ip> \\}
actionunban = nft delete element inet t <set> \\{ <ip> \\}
[Init]
set = s4
addr = ipv4_addr
[Init?family=inet6]
set = s6
addr = ipv6_addr
`;

const IPSET = `
[Definition]
actionstart = ipset -exist create f2b-x hash:ip timeout 0
actionban = ipset -exist add f2b-x <ip> timeout 0
actionunban = ipset -exist del f2b-x <ip>
`;

function make(text: string) {
  const log = captureLog();
  const runner = new ProcessRunner({ env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH ?? ''}` } });
  return {
    act: new CommandAction(actionFromText(text, { actname: 'batch' }), {
      jail: jailStub(),
      logger: log.logger,
      runner,
    }),
    log: log.lines,
  };
}

const v4s = (count: number, base = 0) =>
  Array.from({ length: count }, (_, i) =>
    ticket({ id: `10.${(base + i) >> 16}.${((base + i) >> 8) & 255}.${(base + i) & 255}` }),
  );

describe('batched bans', () => {
  it('1000 bans → exactly one nft process (plus the on-demand start)', async () => {
    const { act } = make(NFT);
    const ts = v4s(1000);
    const res = await act.banMany(ts);
    expect(res).toHaveLength(1000);
    expect(res.every(Boolean)).toBe(true);
    const calls = read('nft.calls');
    expect(calls).toEqual(['add set inet t s4 { type ipv4_addr; }', '-f -']);
    const input = read('nft.stdin').join('\n');
    for (const t of ts) expect(input).toContain(` ${t.id}`);
    expect(input.startsWith('add element inet t s4 { 10.0.0.0, 10.0.0.1,')).toBe(true);
  });

  it('splits by family, and sends non-addresses and hostile ids through the per-ticket path', async () => {
    const { act } = make(NFT);
    const mark = join(dir, 'pwned');
    const ts = [
      ...v4s(300),
      ticket({ id: '2001:db8::1' }),
      ticket({ id: '2001:db8::2' }),
      ticket({ id: 'host-7', ip: null }),
      ticket({ id: `1.2.3.4; touch ${mark}`, ip: null }),
    ];
    const res = await act.banMany(ts);
    expect(res.every(Boolean)).toBe(true);
    const calls = read('nft.calls');
    expect(calls.filter((c) => c === '-f -')).toHaveLength(2);
    expect(calls).toContain('add set inet t s6 { type ipv6_addr; }');
    expect(calls).toContain('add element inet t s4 { host-7 }');
    expect(calls).toContain(`add element inet t s4 { 1.2.3.4; touch ${mark} }`);
    expect(calls).toHaveLength(6);
    expect(existsSync(mark)).toBe(false);
  });

  it('unbanMany batches too, only for families that hold bans', async () => {
    const { act } = make(NFT);
    const ts = v4s(50);
    await act.banMany(ts);
    const res = await act.unbanMany([...ts, ticket({ id: '2001:db8::9' })]);
    expect(res.every(Boolean)).toBe(true);
    expect(read('nft.calls')).toEqual(['add set inet t s4 { type ipv4_addr; }', '-f -', '-f -']);
    expect(read('nft.stdin').at(-1)).toMatch(/^delete element inet t s4 \{ 10\.0\.0\.0, .* 10\.0\.0\.49 \}$/);
  });

  it('bisects a failing batch so only the bad ticket fails', async () => {
    const { act, log } = make(NFT);
    const ts = [...v4s(7), ticket({ id: '192.0.2.66' }), ...v4s(8, 100)];
    const res = await act.banMany(ts);
    expect(res.filter((r) => !r)).toHaveLength(1);
    expect(res[7]).toBe(false);
    expect(
      log.some(
        (l) => l.includes("Failed to execute ban jail 'test' action 'batch'") && l.includes('192.0.2.66'),
      ),
    ).toBe(true);
    // 1 start + far fewer processes than one per ticket
    expect(read('nft.calls').length).toBeLessThan(16);
  });

  it('batches ipset through one `ipset restore -exist`', async () => {
    const { act } = make(IPSET);
    await act.start();
    expect(await act.banMany(v4s(500))).toEqual(Array(500).fill(true));
    expect(read('ipset.calls')).toEqual(['-exist create f2b-x hash:ip timeout 0', 'restore -exist']);
    expect(read('ipset.stdin')).toHaveLength(500);
    expect(read('ipset.stdin')[0]).toBe('add f2b-x 10.0.0.0 timeout 0');
  });

  it('unbans one by one in the order given across families (a jail stop: ban order)', async () => {
    const { act } = make(`[Definition]\nactionban = nft add rule <ip>\nactionunban = nft delete rule <ip>\n`);
    const ts = [ticket({ id: '10.0.0.1' }), ticket({ id: '2001:db8::3' }), ticket({ id: '10.0.0.9' })];
    await act.banMany(ts);
    expect(await act.unbanMany(ts)).toEqual([true, true, true]);
    expect(read('nft.calls')).toEqual([
      'add rule 10.0.0.1',
      'add rule 2001:db8::3',
      'add rule 10.0.0.9',
      'delete rule 10.0.0.1',
      'delete rule 2001:db8::3',
      'delete rule 10.0.0.9',
    ]);
  });

  it('falls back to one command per ticket for other shapes', async () => {
    const { act } = make(`[Definition]\nactionban = nft add rule inet t c ip saddr <ip> drop\n`);
    expect(await act.banMany(v4s(5))).toEqual(Array(5).fill(true));
    expect(read('nft.calls')).toHaveLength(5);
  });
});
