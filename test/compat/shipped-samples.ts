/**
 * Runs fail2ban's annotated sample files against a filter directory of OUR choosing (the shipped
 * config), with the same per-line assertions as samples.test.ts: TZ Europe/Zurich, fixed "now",
 * all regexes checked, raw hosts. Kept apart from samples.test.ts so that file's tests are not
 * registered twice.
 */
import { readFilter } from '../../src/config/filter-reader.js';
import { fixedClock } from '../../src/core/clock.js';
import { errorMessage } from '../../src/core/errors.js';
import type { Failure } from '../../src/core/failure.js';
import { canonicalIp } from '../../src/core/ip.js';
import { Filter } from '../../src/filter/filter.js';
import type { LineResult } from '../../src/filter/types.js';
import { TEST_NOW, buildPlan, localTime, type FailJson, type Plan, type Step } from './corpus.js';

export interface StepOutcome {
  step: Step;
  problems: string[];
}

export interface SampleRun {
  plan: Plan;
  outcomes: StepOutcome[];
  /** Per filter instance key: the filter, or why it could not be built. */
  filters: Map<string, Filter | Error>;
  /** Regex sources hit by at least one line (any instance). */
  usedRe: Set<string>;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** The assertions upstream's sample test makes for one line (empty = pass). */
export function checkLine(step: Step, res: LineResult, regexes: readonly { text: string }[]): string[] {
  const want: FailJson = step.expect ?? {};
  const match = want.match === true;
  if (res.failures.length === 0) return match ? ['line not matched when it should have'] : [];
  if (!match)
    return [
      `line matched when it should not have (regex ${res.failureRegex?.join(',') ?? '?'}: ${res.failures.map((f) => f.id).join(', ')})`,
    ];
  if (res.failures.length !== 1) {
    return [
      `multiple regexes matched: ${res.failureRegex?.map((i) => `${i}) ${regexes[i]?.text ?? ''}`).join(' | ') ?? '?'}`,
    ];
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
      if ((canonicalIp(got) ?? got) !== (canonicalIp(v) ?? v))
        problems.push(`host: expected ${v}, got ${got}`);
    } else if (Array.isArray(v)) {
      if (!Array.isArray(got) || !sameSet(got as string[], v as string[]))
        problems.push(`${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(got)}`);
    } else if (got !== v) problems.push(`${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(got)}`);
  }
  if (typeof want.time === 'string') {
    const t = localTime(want.time);
    if (!(Math.abs(f.time - t) < 1e-6)) problems.push(`time: expected ${want.time} (${t}), got ${f.time}`);
  }
  return problems;
}

/** Build one filter per option set from `basedir` and feed it every step of sample `name`. */
export function runSample(name: string, basedir: string, logsDir: string): SampleRun {
  const plan = buildPlan(name, logsDir);
  const filters = new Map<string, Filter | Error>();
  const usedRe = new Set<string>();
  for (const [key, fo] of plan.instances) {
    try {
      const def = readFilter(basedir, plan.name, fo);
      filters.set(
        key,
        new Filter(def, { clock: fixedClock(TEST_NOW), mode: 'test', checkAll: true, usedns: 'raw' }),
      );
    } catch (e) {
      filters.set(key, e instanceof Error ? e : new Error(String(e)));
    }
  }
  const outcomes = plan.steps.map((step): StepOutcome => {
    const flt = filters.get(step.key)!;
    if (flt instanceof Error) return { step, problems: [`filter ${step.key}: ${flt.message}`] };
    try {
      const journal = step.opts.logtype === 'journal';
      const prefix = typeof step.opts['test.prefix-line'] === 'string' ? step.opts['test.prefix-line'] : '';
      const res = journal ? flt.processLine(prefix + step.line, TEST_NOW) : flt.processLine(step.line);
      for (const i of res.failHits) usedRe.add(flt.failRegexes[i]!.regex.source);
      return { step, problems: checkLine(step, res, flt.failRegexes) };
    } catch (e) {
      return { step, problems: [errorMessage(e)] };
    }
  });
  return { plan, outcomes, filters, usedRe };
}

/** Regex texts of every built instance that no line hit. */
export function unusedRegexes(run: SampleRun): string[] {
  const out = new Set<string>();
  for (const [key, flt] of run.filters) {
    if (!(flt instanceof Filter)) continue;
    for (const r of flt.failRegexes) if (!run.usedRe.has(r.regex.source)) out.add(`${key}: ${r.text}`);
  }
  return [...out];
}
