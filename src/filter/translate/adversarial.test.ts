/**
 * Hostile-line suite over every stock filter of the fail2ban corpus (read at run time).
 *
 * For each failregex/prefregex/ignoreregex we build long lines (see LEN) that pump each
 * repetition of the pattern (prefix + body^n + a character that spoils the rest — the classic
 * catastrophic-backtracking shape), repeat its literals, and add the GHSA-33wh-ccjc-p397 shapes
 * (dovecot/domino: many `(`/`:` and "Aborted login" repetitions). Asserted (machine-independent):
 * every variant of every stock regex is guarded by V8's linear-time engine — the pattern itself
 * is eligible for the on-excessive-backtracks fallback, or a linear-eligible superset gate runs
 * first — plus correctness (no exception, same result twice, prefilter never rejects a real match).
 * Wall times are printed, never asserted (the machine may be shared).
 *
 * Lines are 1024 chars by default to keep the suite quick; measure at the engine's cap with
 *   LOGJAIL_ADVERSARIAL_LEN=4096 npx vitest run src/filter/translate/adversarial.test.ts
 * and keep each filter's slowest line with LOGJAIL_ADVERSARIAL_DUMP=/tmp/worst.jsonl.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readFilter } from '../../config/filter-reader.js';
import type { FilterDef } from '../../config/types.js';
import type { Node } from './ast.js';
import { parsePython } from './parse.js';
import type { CompiledRegex } from './index.js';
import { Compiled } from './compile.js';
import { compileFailRegex, expandTags, MAX_LINE_LENGTH } from './index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corpus = process.env.LOGJAIL_COMPAT_CORPUS ?? resolve(repo, '..', 'shared', 'fail2ban-corpus');
const filterDir = resolve(corpus, 'config', 'filter.d');
const haveCorpus = existsSync(filterDir);
const LEN = Math.min(MAX_LINE_LENGTH, Number(process.env.LOGJAIL_ADVERSARIAL_LEN ?? 1024));

/** One plausible matching text for a node; `pump` repeats the body of one repetition n times. */
function sample(n: Node, pump: { node: Node; times: number; spoil: boolean } | null, out: string[]): boolean {
  switch (n.t) {
    case 'lit':
      out.push(String.fromCodePoint(n.cp));
      return true;
    case 'set': {
      out.push(pickChar(n));
      return true;
    }
    case 'any':
      out.push('a');
      return true;
    case 'seq':
      for (const it of n.items) if (!sample(it, pump, out)) return false;
      return true;
    case 'alt':
      return sample(n.alts[0]!, pump, out);
    case 'cond':
      return sample(n.no, pump, out);
    case 'group':
    case 'atomic':
      return sample(n.body, pump, out);
    case 'repeat': {
      if (pump?.node === n) {
        const one: string[] = [];
        sample(n.body, null, one);
        const unit = one.join('') || ' ';
        out.push(unit.repeat(Math.max(1, Math.floor(pump.times / unit.length))));
        if (pump.spoil) {
          out.push('\u0001');
          return false; // stop: the rest of the pattern cannot match
        }
        return true;
      }
      const k = n.min > 0 ? n.min : n.max === Infinity ? 1 : Math.min(1, n.max);
      for (let i = 0; i < Math.min(k, 4); i++) if (!sample(n.body, pump, out)) return false;
      return true;
    }
    default:
      return true;
  }
}

function pickChar(n: Node & { t: 'set' }): string {
  const ok = (c: number): boolean => {
    let inside = false;
    for (const it of n.items) {
      if (it.cat) {
        const ch = String.fromCharCode(c);
        const m = it.cat === 'd' ? /\d/.test(ch) : it.cat === 'w' ? /\w/.test(ch) : /\s/.test(ch);
        if (m !== (it.neg ?? false)) inside = true;
      } else if (c >= it.lo && c <= it.hi) inside = true;
    }
    return inside !== n.negate;
  };
  for (const c of [0x61, 0x31, 0x20, 0x2e, 0x3a, 0x41, 0x5f, 0x2d, 0x28, 0x2f]) if (ok(c)) return String.fromCharCode(c);
  for (let c = 0x21; c < 0x7f; c++) if (ok(c)) return String.fromCharCode(c);
  return ' ';
}

function repeats(n: Node, acc: Node[] = []): Node[] {
  if (n.t === 'repeat' && n.max > 1) acc.push(n);
  const kids = n.t === 'seq' ? n.items : n.t === 'alt' ? n.alts : n.t === 'cond' ? [n.yes, n.no] : 'body' in n ? [n.body] : [];
  for (const k of kids) repeats(k, acc);
  return acc;
}

function literalRuns(n: Node, acc: Set<string>): void {
  if (n.t === 'seq') {
    let run = '';
    for (const it of n.items) {
      if (it.t === 'lit') run += String.fromCodePoint(it.cp);
      else {
        if (run) acc.add(run);
        run = '';
        literalRuns(it, acc);
      }
    }
    if (run) acc.add(run);
    return;
  }
  const kids = n.t === 'alt' ? n.alts : n.t === 'cond' ? [n.yes, n.no] : 'body' in n ? [n.body] : [];
  for (const k of kids) literalRuns(k, acc);
}

function fit(s: string): string {
  return s.length > LEN ? s.slice(0, LEN) : s;
}

function hostileLines(pyRegex: string, multiline: boolean): string[] {
  const root = parsePython(pyRegex.replace(/(?<!\\)\((?:\?:)?(\(\?[a-z]+)\)/g, '$1:'), { multiline }).root;
  const lines: string[] = [];
  const base: string[] = [];
  sample(root, null, base);
  const skeleton = base.join('');
  lines.push(fit(skeleton), fit(skeleton.repeat(Math.ceil(LEN / Math.max(1, skeleton.length)))));
  for (const r of repeats(root).slice(0, 12)) {
    const out: string[] = [];
    sample(root, { node: r, times: LEN - skeleton.length - 8, spoil: true }, out);
    const line = fit(out.join(''));
    lines.push(line);
    // a trailing non-ASCII char selects the Unicode variant (reduced alphabet, lookaround \b)
    lines.push(line.slice(0, -1) + '\u00e9');
  }
  const runs = new Set<string>();
  literalRuns(root, runs);
  for (const run of [...runs].filter((r) => r.trim().length > 1).slice(0, 6)) {
    lines.push(fit(run.repeat(Math.ceil(LEN / run.length))));
    lines.push(fit((run + ' ').repeat(Math.ceil(LEN / (run.length + 1)))));
  }
  // GHSA-33wh-ccjc-p397 shapes
  const fill = (s: string): string => fit(s.repeat(Math.ceil(LEN / s.length)));
  lines.push(fill('('), fill(':'), fill('(:'), fill(' ('), fill('Aborted login ('), fill('Aborted login'), fill(', '), fill('a '));
  lines.push(fit('Aborted login' + ' (auth failed, 1 attempts)'.repeat(400) + ': user=<'), fit('(' + 'x:'.repeat(LEN / 2)));
  lines.push(fit(' from '.repeat(LEN / 6)), fit('for invalid user '.repeat(500)), fit('1.2.3.4 '.repeat(1200)), fit('::'.repeat(5000)));
  return lines.map((l) => (multiline ? l.replace(/\n?$/, '\n') : l.replace(/\n/g, ' ')));
}

interface Timing {
  filter: string;
  regex: string;
  ms: number;
  line: string;
}
const timings: Timing[] = [];
const guards = new Map<string, number>();

function filterDefs(name: string): FilterDef[] {
  const defs = [readFilter(resolve(corpus, 'config'), name)];
  if (defs[0]!.options.mode !== undefined) {
    for (const mode of ['aggressive', 'ddos', 'extra']) {
      try {
        defs.push(readFilter(resolve(corpus, 'config'), name, { mode }));
      } catch {
        // the filter has no such mode
      }
    }
  }
  return defs;
}

function probe(filter: string, label: string, re: CompiledRegex, line: string): void {
  const t0 = performance.now();
  const m1 = re.exec(line);
  let ms = performance.now() - t0;
  // a slow reading is taken again: on a shared machine one sample may include preemption or GC
  for (let k = 0; k < 2 && ms > 1; k++) {
    const t1 = performance.now();
    re.exec(line);
    ms = Math.min(ms, performance.now() - t1);
  }
  if (m1) expect(re.mayMatch(line)).toBe(true);
  timings.push({ filter, regex: label, ms, line });
}

const names = haveCorpus
  ? readdirSync(filterDir)
      .filter((f) => f.endsWith('.conf') && !f.endsWith('common.conf'))
      .map((f) => f.slice(0, -5))
  : [];

describe.skipIf(!haveCorpus)('hostile lines against every stock filter', () => {
  it('found the stock filters', () => {
    expect(names.length).toBeGreaterThan(90);
  });

  for (const name of names) {
    it(name, () => {
      for (const def of filterDefs(name)) {
        const multiline = def.maxlines > 1;
        const regexes = [
          ...(def.prefregex ? [def.prefregex] : []),
          ...def.failregex.map((r) => r.regex),
          ...def.ignoreregex.map((r) => r.regex),
        ];
        for (const [i, regex] of regexes.entries()) {
          const re = compileFailRegex(regex, { multiline, usedns: def.usedns });
          if (!(re instanceof Compiled)) throw new Error('compileFailRegex did not return a Compiled');
          for (const [extent, clean] of [['ascii', true], ['ascii', false], ['bmp', true]] as const) {
            const guard = re.guard(extent, clean);
            expect(guard, `${name} #${i} ${extent}${clean ? '' : ' (\\r)'}: no linear guard`).not.toBe('none');
            const key = `${extent}${clean ? '' : '+\\r'} ${guard}`;
            guards.set(key, (guards.get(key) ?? 0) + 1);
          }
          // one-time costs (variant compilation, Unicode tables) are not per-line costs
          for (const w of ['warm up', 'warm up \u00e9', 'warm\rup']) re.exec(multiline ? w + '\n' : w);
          const py = expandTags(regex, { usedns: def.usedns });
          let worst = { ms: -1, line: '' };
          for (const line of hostileLines(py, multiline)) {
            const before = timings.length;
            probe(name, `#${i}`, re, line);
            const t = timings[before]!;
            if (t.ms > worst.ms) worst = t;
          }
          // stability: the slowest line gives the same answer again
          expect(re.exec(worst.line)).toEqual(re.exec(worst.line));
        }
      }
    });
  }

  afterAll(() => {
    if (!timings.length) return;
    const byFilter = new Map<string, Timing>();
    for (const t of timings) {
      const cur = byFilter.get(t.filter);
      if (!cur || t.ms > cur.ms) byFilter.set(t.filter, t);
    }
    const worst = [...byFilter.values()].sort((a, b) => b.ms - a.ms);
    // the slowest line of each filter, in full, for a closer look (JSON lines)
    const dump = process.env.LOGJAIL_ADVERSARIAL_DUMP;
    if (dump) writeFileSync(dump, worst.map((t) => JSON.stringify(t)).join('\n') + '\n');
    const over = worst.filter((t) => t.ms > 10).length;
    console.log(
      `adversarial: guards ${[...guards].map(([k, n]) => `${k}=${n}`).join(', ')}\n` +
        `adversarial: ${timings.length} lines of ≤${LEN} chars over ${byFilter.size} filters; ` +
        `${over} filter(s) have a line slower than 10 ms. Slowest per filter:\n` +
        worst
          .slice(0, 12)
          .map((t) => `  ${t.ms.toFixed(2).padStart(9)} ms  ${t.filter} ${t.regex}  line: ${JSON.stringify(t.line.slice(0, 70))}…`)
          .join('\n'),
    );
  });
});
