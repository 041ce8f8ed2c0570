/**
 * The per-line floor of one Node thread, for scale: read a log in 256 KiB chunks, split it into
 * lines and run one simple regex on each (no date, no filter, no report). Run as its own process
 * by the bench (`node dist/bench/floor.js LOG`); prints the number of lines the regex matched.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const RE = /sshd\[\d+\]: Failed password for (?:invalid user )?\S+ from (\S+) port \d+/;

function main(path: string): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(256 << 10);
  let carry = '';
  let hits = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    const text = carry + buf.toString('latin1', 0, n);
    let pos = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', pos)) {
      if (RE.test(text.slice(pos, nl))) hits++;
      pos = nl + 1;
    }
    carry = text.slice(pos);
  }
  closeSync(fd);
  return hits;
}

process.stdout.write(`${String(main(process.argv[2]!))}\n`);
