/**
 * fail2ban compatibility: every annotated line of fail2ban's sample corpus, run through
 * our config reader + filter engine exactly as upstream's samples test does (time zone
 * Europe/Zurich, "now" = 2005-08-14 12:00 CEST, all regexes checked, raw hosts).
 * One test per line and option set, named `<file>:<line> <options>`.
 */
process.env.TZ = 'Europe/Zurich'; // Node ignores POSIX TZ rules like CET-01CEST-02,M3.5.0,M10.5.0

import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFilter } from '../../src/config/filter-reader.js';
import { fixedClock } from '../../src/core/clock.js';
import { canonicalIp } from '../../src/core/ip.js';
import type { Failure } from '../../src/core/failure.js';
import { errorMessage } from '../../src/core/errors.js';
import { Filter } from '../../src/filter/filter.js';
import type { LineResult } from '../../src/filter/types.js';
import { TEST_NOW, buildPlan, corpusDir, countAnnotations, localTime, sampleFilters, type FailJson, type Plan, type Step } from './corpus.js';

const CORPUS = corpusDir();
const HAVE_CORPUS = existsSync(join(CORPUS, 'tests', 'logs'));

/**
 * The tests' zzz-* filters include `../../../../config/filter.d/common.conf`, which assumes
 * upstream's deeper tree (fail2ban/tests/config/filter.d). Rebuild that shape with symlinks.
 */
let scratch: string | null = null;
function testsBasedir(): string {
  if (scratch === null) {
    scratch = mkdtempSync(join(tmpdir(), 'logjail-compat-'));
    mkdirSync(join(scratch, 'fail2ban', 'tests', 'config'), { recursive: true });
    symlinkSync(join(CORPUS, 'config'), join(scratch, 'config'));
    symlinkSync(join(CORPUS, 'tests', 'config', 'filter.d'), join(scratch, 'fail2ban', 'tests', 'config', 'filter.d'));
  }
  return join(scratch, 'fail2ban', 'tests', 'config');
}

interface Outcome {
  result?: LineResult;
  error?: string;
}

interface Run {
  outcomes: Outcome[];
  filters: Map<string, Filter | Error>;
  usedIdx: Map<string, Set<number>>;
  usedRe: Set<string>;
}

function simulate(plan: Plan, basedir: string): Run {
  const filters = new Map<string, Filter | Error>();
  const usedIdx = new Map<string, Set<number>>();
  const usedRe = new Set<string>();
  for (const [key, fo] of plan.instances) {
    try {
      const def = readFilter(basedir, plan.name, fo);
      filters.set(key, new Filter(def, { clock: fixedClock(TEST_NOW), mode: 'test', checkAll: true, usedns: 'raw' }));
    } catch (e) {
      filters.set(key, e instanceof Error ? e : new Error(String(e)));
    }
    usedIdx.set(key, new Set());
  }
  const outcomes = plan.steps.map((step): Outcome => {
    const flt = filters.get(step.key)!;
    if (flt instanceof Error) return { error: `filter ${step.key}: ${flt.message}` };
    try {
      const journal = step.opts.logtype === 'journal';
      const prefix = typeof step.opts['test.prefix-line'] === 'string' ? step.opts['test.prefix-line'] : '';
      const result = journal ? flt.processLine(prefix + step.line, TEST_NOW) : flt.processLine(step.line);
      const used = usedIdx.get(step.key)!;
      for (const i of result.failHits) {
        used.add(i);
        usedRe.add(flt.failRegexes[i]!.regex.source);
      }
      return { result };
    } catch (e) {
      return { error: errorMessage(e) };
    }
  });
  return { outcomes, filters, usedIdx, usedRe };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** Upstream's per-line assertions; returns the problems (empty = pass). */
function check(step: Step, out: Outcome, regexes: readonly { text: string }[]): string[] {
  if (out.error !== undefined) return [out.error];
  const res = out.result!;
  const want: FailJson = step.expect ?? {};
  const match = want.match === true;
  if (res.failures.length === 0) return match ? ['line not matched when it should have'] : [];
  if (!match) return [`line matched when it should not have (regex ${res.failureRegex?.join(',')}: ${res.failures.map((f) => f.id).join(', ')})`];
  if (res.failures.length !== 1) {
    return [`multiple regexes matched: ${res.failureRegex?.map((i) => `${i}) ${regexes[i]?.text ?? ''}`).join(' | ')}`];
  }
  const f: Failure = res.failures[0]!;
  const problems: string[] = [];
  for (const [k, v] of Object.entries(want)) {
    if (k === 'time' || k === 'match' || k === 'desc' || k === 'constraint') continue;
    let got: unknown = f.fields[k] ?? null;
    if (got === null && k === 'host') got = f.id;
    if (got === null && k === 'attempts') got = f.matches.length;
    if (k === 'users') got = f.users ?? null;
    if (k === 'host' && typeof got === 'string' && typeof v === 'string') {
      // upstream compares address objects: 2001:DB8::1 equals 2001:db8::1
      if ((canonicalIp(got) ?? got) !== (canonicalIp(v) ?? v)) problems.push(`host: expected ${v}, got ${got}`);
    } else if (Array.isArray(v)) {
      if (!Array.isArray(got) || !sameSet(got as string[], v as string[])) problems.push(`${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(got)}`);
    } else if (got !== v) problems.push(`${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(got)}`);
  }
  if (typeof want.time === 'string') {
    const t = localTime(want.time);
    if (!(Math.abs(f.time - t) < 1e-6)) {
      problems.push(`time: expected ${want.time} (${t}), got ${Number.isNaN(f.time) ? 'none' : `${new Date(f.time * 1000).toISOString()} (${f.time})`}`);
    }
  }
  return problems;
}

function optsLabel(step: Step): string {
  return Object.keys(step.opts).length ? JSON.stringify(step.opts) : '{}';
}

const tally = { annotated: new Map<string, boolean>(), steps: 0, passed: 0 };

describe.skipIf(!HAVE_CORPUS)('fail2ban sample corpus', () => {
  afterAll(() => {
    if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
    const ok = [...tally.annotated.values()].filter(Boolean).length;
    if (tally.steps > 0) {
      console.log(
        `compat: ${tally.passed}/${tally.steps} line checks passed; annotations fully passing: ${ok}/${countAnnotations(CORPUS)}`,
      );
    }
  });

  for (const { name, basedir } of HAVE_CORPUS ? sampleFilters(CORPUS) : []) {
    describe(name, () => {
      const plan = buildPlan(name, join(CORPUS, 'tests', 'logs'));
      let run: Run;
      beforeAll(() => {
        run = simulate(plan, basedir === 'stock' ? CORPUS + '/config' : testsBasedir());
      });

      plan.steps.forEach((step, i) => {
        it(`${step.file}:${step.lineNo} ${optsLabel(step)}`, () => {
          const flt = run.filters.get(step.key);
          const problems = check(step, run.outcomes[i]!, flt instanceof Filter ? flt.failRegexes : []);
          tally.steps++;
          if (problems.length === 0) tally.passed++;
          if (step.expect) {
            const id = `${step.file}:${step.lineNo}`;
            tally.annotated.set(id, (tally.annotated.get(id) ?? true) && problems.length === 0);
          }
          expect(problems, step.line).toEqual([]);
        });
      });

      it(`${name}: every failregex has a sample`, () => {
        const missing: string[] = [];
        for (const [key, flt] of run.filters) {
          if (!(flt instanceof Filter)) continue;
          const used = run.usedIdx.get(key)!;
          flt.failRegexes.forEach((r, i) => {
            if (!used.has(i) && !run.usedRe.has(r.regex.source)) missing.push(`${key}: ${i}) ${r.text}`);
          });
        }
        expect(missing).toEqual([]);
      });
    });
  }
});
