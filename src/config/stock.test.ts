/**
 * The stock fail2ban trees must read without a single error: every filter (with each mode it
 * declares), every action, every jail forced enabled. Corpus = upstream master config; Debian =
 * the installed fail2ban 1.0.2 (/etc/fail2ban), also compared with fail2ban's own reader.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAction } from './action-reader.js';
import { readConfigSet } from './configset.js';
import { readFilter } from './filter-reader.js';
import { readConfig } from './jail-reader.js';
import type { FilterDef } from './types.js';
import { corpusDir } from './tree.case.js';

/** The system interpreter that has the distribution's fail2ban package. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function hasPythonFail2ban(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import fail2ban.client.jailsreader'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Drives fail2ban's own JailsReader (all jails forced on) and prints what it would send. */
const ORACLE = `
import sys, json
from fail2ban.client.jailsreader import JailsReader
r = JailsReader(basedir=sys.argv[1], force_enable=True)
r.read(); r.getOptions()
jails = {}
for c in r.convert(allow_no_files=True):
    if c[0] == 'add':
        jails[c[1]] = {'failregex': [], 'prefregex': None, 'datepattern': None, 'actions': []}
    elif c[0] in ('set', 'multi-set') and c[1] in jails:
        j, op = jails[c[1]], c[2]
        if op == 'addfailregex': j['failregex'] += c[3] if c[0] == 'multi-set' else [c[3]]
        elif op == 'prefregex': j['prefregex'] = c[3]
        elif op == 'datepattern': j['datepattern'] = c[3]
        elif op == 'addaction': j['actions'].append(c[3])
json.dump({'jails': jails}, sys.stdout)
`;

/** Modes a filter declares: the `X` for which every `<pre<mode>suf>` it uses names an option `preXsuf`. */
function declaredModes(basedir: string, name: string): string[] {
  const cs = readConfigSet(basedir, `filter.d/${name}`);
  const keys = new Set([...cs.keys('Definition'), ...cs.ownKeys('Init')]);
  const raw = [...keys].map((k) => cs.lookup('Definition', k)?.value ?? cs.own('Init', k)?.value ?? '').join('\n');
  let modes = null as Set<string> | null;
  for (const m of raw.matchAll(/<([^<>\s]*)<mode>([^<>\s]*)>/g)) {
    const [pre, suf] = [m[1]!, m[2]!];
    const found = new Set(
      [...keys]
        .filter((k) => k.startsWith(pre) && k.endsWith(suf) && k.length > pre.length + suf.length)
        .map((k) => k.slice(pre.length, k.length - suf.length)),
    );
    modes = modes ? new Set([...modes].filter((x: string) => found.has(x))) : found;
  }
  return [...(modes ?? [])].sort();
}

/** A tag left in a regex that names one of the filter's own options means substitution failed. */
function unresolvedTags(f: FilterDef): string[] {
  const texts = [f.prefregex ?? '', ...f.failregex.map((r) => r.regex), ...f.ignoreregex.map((r) => r.regex)];
  return texts.flatMap((t) => [...t.matchAll(/<([^ <>]+)>/g)].map((m) => m[1]!).filter((n) => n in f.options));
}

interface Counts {
  filters: number;
  modeVariants: number;
  actions: number;
  jails: number;
  jailActions: number;
}

function readWholeTree(basedir: string): Counts {
  const c: Counts = { filters: 0, modeVariants: 0, actions: 0, jails: 0, jailActions: 0 };
  const filters = readdirSync(join(basedir, 'filter.d'))
    .filter((n) => n.endsWith('.conf') && !n.endsWith('common.conf'))
    .map((n) => n.slice(0, -5));
  for (const name of filters) {
    const f = readFilter(basedir, name);
    expect(f.failregex.length + (f.prefregex ? 1 : 0), name).toBeGreaterThan(0);
    expect(unresolvedTags(f), name).toEqual([]);
    expect(f.failregex.every((r) => r.where.line > 0 && existsSync(r.where.file)), name).toBe(true);
    c.filters++;
    for (const mode of declaredModes(basedir, name)) {
      const m = readFilter(basedir, name, { mode });
      expect(unresolvedTags(m), `${name}[mode=${mode}]`).toEqual([]);
      c.modeVariants++;
    }
  }
  for (const n of readdirSync(join(basedir, 'action.d')).filter((x) => x.endsWith('.conf'))) {
    const a = readAction(basedir, n.slice(0, -5), 'test-jail');
    expect(a.actname).toBe(n.slice(0, -5));
    c.actions++;
  }
  const cfg = readConfig(basedir, { jailOverrides: { '*': { enabled: 'true' } } });
  for (const j of cfg.jails) {
    expect(j.enabled).toBe(true);
    c.jails++;
    c.jailActions += j.actions.length;
  }
  return c;
}

describe('stock trees read without errors', () => {
  const corpus = join(corpusDir(), 'config');

  it.skipIf(!existsSync(corpus))('upstream corpus: every filter (+modes), action and jail', () => {
    const c = readWholeTree(corpus);
    // 103 filter files minus 6 *common.conf helpers; 65 actions; 99 jails in master's jail.conf.
    expect(c).toMatchObject({ filters: 97, actions: 65, jails: 99 });
    expect(c.modeVariants).toBeGreaterThanOrEqual(30);
    expect(c.jailActions).toBeGreaterThanOrEqual(99);
    const sshd = readFilter(corpus, 'sshd[mode=aggressive]');
    expect(sshd.failregex.length).toBeGreaterThan(readFilter(corpus, 'sshd').failregex.length);
  });

  const debian = '/etc/fail2ban';
  const haveDebian = existsSync(join(debian, 'jail.conf'));
  if (!haveDebian) console.warn(`skipping Debian tree test: ${debian}/jail.conf not found (install fail2ban to run it)`);

  it.skipIf(!haveDebian)('Debian /etc/fail2ban: every filter (+modes), action and jail', () => {
    const c = readWholeTree(debian);
    expect(c.filters).toBeGreaterThan(80);
    expect(c.actions).toBeGreaterThan(60);
    expect(c.jails).toBeGreaterThan(80);
  });

  const oracle = haveDebian && hasPythonFail2ban();
  if (haveDebian && !oracle) console.warn('skipping fail2ban differential test: python3 fail2ban module not importable');

  it.skipIf(!oracle)('Debian /etc/fail2ban: filters and jails equal what fail2ban 1.0.2 itself reads', () => {
    const py = JSON.parse(execFileSync(PYTHON, ['-c', ORACLE, debian], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] })) as {
      jails: Record<string, { failregex: string[]; prefregex: string | null; datepattern: string | null; actions: string[] }>;
    };
    const cfg = readConfig(debian, { jailOverrides: { '*': { enabled: 'true' } } });
    const mine = Object.fromEntries(
      cfg.jails.map((j) => [
        j.name,
        {
          failregex: j.filter?.failregex.map((r) => r.regex) ?? [],
          prefregex: j.filter?.prefregex ?? null,
          datepattern: j.filter?.datepattern ?? null,
          actions: j.actions.map((a) => a.actname),
        },
      ]),
    );
    expect(Object.keys(py.jails).length).toBeGreaterThan(80);
    expect(mine).toEqual(py.jails);
  });
});
