import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { IgnoreList } from './ignore.js';
import { Jail } from './jail.js';

/** Memory footprint of 100k tracked addresses: printed for the report, never asserted. */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const N = 100_000;
const addr = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

describe('memory (printed, not asserted)', () => {
  it('holds 100k failing and 100k banned addresses', async () => {
    const t0 = 1_700_000_000;
    const clock = fixedClock(t0);
    const jail = new Jail({
      name: 'sshd',
      maxretry: 5,
      maxmatches: 5,
      findtime: 600,
      bantime: 600,
      increment: { enabled: false, factor: 1, formula: null, multipliers: [], maxtime: null, rndtime: null, overalljails: false },
      clock,
      ignore: new IgnoreList({ clock }, { ignoreself: false }),
    });
    const before = heapMb();
    const rss0 = process.memoryUsage().rss / 2 ** 20;
    // each address fails twice (two distinct matched lines kept), below maxretry
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < N; i++) {
        const ip = addr(i);
        await jail.addFailure({
          id: ip,
          ip,
          time: t0,
          // flat strings, as decoded from a read buffer (template literals would build cons-strings)
          matches: [Buffer.from(`Nov 25 06:19:28 host sshd[${1000 + round}]: Failed password for invalid user admin from ${ip} port 22 ssh2`).toString()],
          fields: { user: 'admin' },
          count: 1,
        });
      }
    }
    const failing = heapMb();
    expect(jail.status().currentlyFailed).toBe(N);
    const banned = jail.banManually(Array.from({ length: N }, (_, i) => addr(i + N)));
    expect(banned).toHaveLength(N);
    const both = heapMb();
    const rss = process.memoryUsage().rss / 2 ** 20;
    console.log(
      `[jail memory] 100k failing ids (2 matched lines each): +${(failing - before).toFixed(1)} MB heap; ` +
        `100k bans: +${(both - failing).toFixed(1)} MB heap; RSS ${rss0.toFixed(0)} -> ${rss.toFixed(0)} MB`,
    );
    expect(jail.status()).toMatchObject({ currentlyFailed: N, currentlyBanned: N, totalFailed: 2 * N });
  });
});
