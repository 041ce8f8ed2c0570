/**
 * Helpers for the differential test: run Debian's fail2ban-regex and ours on the same log and
 * turn both outputs into sets of `line<TAB>address` (the input line that completed a failure).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { regexMain } from '../../src/cli/regex.js';

export function spawnText(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { env: { ...process.env, PYTHONHASHSEED: '0' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', rej);
    p.on('close', (code) => {
      res({ code: code ?? -1, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() });
    });
  });
}

/** Our tool in-process, stdout captured. */
export async function runOurs(args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => out.push(String(c)) > 0);
  try {
    const code = await regexMain(args);
    return { code, out: out.join('') };
  } finally {
    process.stdout.write = ow;
  }
}

/**
 * fail2ban's `-o` prints no line numbers. We ask for `<ip><TAB><matches>`: `<matches>` is the
 * failure's log lines joined by newlines, the last one being the line that completed it. A
 * record starts with a tab-separated address; the log has no tabs, so continuation lines are
 * told apart. The completing line's text is looked up in the log (whose lines must be unique).
 */
export const F2B_TEMPLATE = '<ip>\t<matches>';

export function lineIndex(logPath: string): Map<string, number> {
  const idx = new Map<string, number>();
  readFileSync(logPath, 'utf8')
    .split('\n')
    .forEach((l, i) => {
      if (l.includes('\t')) throw new Error(`${logPath}:${i + 1}: tab in log line`);
      if (idx.has(l) && l !== '')
        throw new Error(`${logPath}:${i + 1}: duplicate line, line numbers would be ambiguous`);
      idx.set(l, i + 1);
    });
  return idx;
}

export function fail2banPairs(out: string, idx: Map<string, number>): Set<string> {
  const recs: [string, string][] = [];
  for (const l of out.split('\n')) {
    const tab = l.indexOf('\t');
    if (tab >= 0) recs.push([l.slice(0, tab), l.slice(tab + 1)]);
    else if (l !== '' && recs.length > 0) recs[recs.length - 1]![1] = l;
  }
  const pairs = new Set<string>();
  for (const [ip, last] of recs) {
    const n = idx.get(last);
    if (n === undefined) throw new Error(`fail2ban printed a line not in the log: ${last}`);
    pairs.add(`${n}\t${ip}`);
  }
  return pairs;
}

export function ourPairs(out: string): Set<string> {
  const pairs = new Set<string>();
  for (const l of out.split('\n')) {
    if (l === '') continue;
    const j = JSON.parse(l) as { line: number; id: string; ip: string | null };
    pairs.add(`${j.line}\t${j.ip ?? j.id}`);
  }
  return pairs;
}
