/**
 * The stock nftables action (read from the fail2ban corpus) against a real nft, inside a network
 * namespace this test creates and deletes. Skipped unless root with `ip` and `nft` and the corpus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CommandAction } from './command-action.js';
import { ProcessRunner } from './runner.js';
import { actionFromFile, captureLog, corpusDir, jailStub, ticket } from './test-helpers.js';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const stock = join(corpusDir(), 'config/action.d/nftables.conf');
// without the corpus (LOGJAIL_COMPAT_CORPUS unset outside the usual checkout layout) this skips
const def = existsSync(stock)
  ? actionFromFile(stock, { name: 'sshd', port: 'ssh', protocol: 'tcp', actname: 'nftables' })
  : null;
const usable = process.getuid?.() === 0 && has('ip') && has('nft') && def !== null;
const ns = `lj-act-test-${process.pid}`;

const inNs = (...args: string[]): string =>
  execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });

function elements(set: string): string[] {
  let out: string;
  try {
    out = inNs('nft', '-j', 'list', 'set', 'inet', 'f2b-table', set);
  } catch {
    return [];
  }
  const json = JSON.parse(out) as { nftables: { set?: { elem?: unknown[] } }[] };
  const elem = json.nftables.find((x) => x.set)?.set?.elem ?? [];
  return elem.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
}

describe.skipIf(!usable)('nftables action in a network namespace', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns]);
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', ns]);
  });

  const log = captureLog();
  // made only where the suite runs (its body is collected even when skipped)
  const act = usable
    ? new CommandAction(def, {
        jail: jailStub('sshd'),
        logger: log.logger,
        runner: new ProcessRunner({ prefix: ['ip', 'netns', 'exec', ns] }),
      })
    : (null as unknown as CommandAction);
  // spaced out so the interval set cannot merge neighbours into ranges
  const v4 = Array.from({ length: 1000 }, (_, i) => ticket({ id: `10.1.${i >> 7}.${(i & 127) * 2}` }));
  const v6 = Array.from({ length: 5 }, (_, i) => ticket({ id: `2001:db8::${(i + 1) * 2}` }));

  it('bans 1000 + 5 addresses in batches', async () => {
    await act.start();
    const res = await act.banMany([...v4, ...v6]);
    expect(res.every(Boolean)).toBe(true);
    expect(elements('addr-set-sshd')).toHaveLength(1000);
    expect(elements('addr6-set-sshd')).toHaveLength(5);
    expect(inNs('nft', 'list', 'chain', 'inet', 'f2b-table', 'f2b-chain')).toMatch(
      /tcp dport 22 ip saddr @addr-set-sshd reject/,
    );
    expect(log.lines).toEqual([]);
  });

  it('unbans in a batch (interval set rewritten atomically) and one by one', async () => {
    inNs('nft', 'add', 'element', 'inet', 'f2b-table', 'addr-set-sshd', '{ 172.16.0.0/16 }');
    expect((await act.unbanMany(v4.slice(0, 500))).every(Boolean)).toBe(true);
    expect(await act.unbanMany(v4.slice(500, 510))).toEqual(Array(10).fill(true)); // small: plain delete
    expect(await act.unban(v6[0]!)).toBe(true);
    const left = elements('addr-set-sshd');
    expect(left).toHaveLength(491);
    expect(left).toContain(JSON.stringify({ prefix: { addr: '172.16.0.0', len: 16 } }));
    expect(left).toContain('10.1.7.126');
    expect(left).not.toContain('10.1.0.0');
    expect(elements('addr6-set-sshd')).toHaveLength(4);
    expect(log.lines).toEqual([]);
  });

  it('repairs a deleted table through check + restart and retries the ban', async () => {
    inNs('nft', 'delete', 'table', 'inet', 'f2b-table');
    expect(await act.ban(ticket({ id: '192.0.2.77' }))).toBe(true);
    expect(elements('addr-set-sshd')).toEqual(['192.0.2.77']);
    expect(act.banEpoch).toBe(1);
  });

  it('flushes and stops cleanly', async () => {
    await act.ban(v6[1]!);
    expect(await act.flush()).toBe(true);
    expect(elements('addr-set-sshd')).toEqual([]);
    await act.stop();
    expect(inNs('nft', 'list', 'tables').trim()).toBe('');
  });
});
