import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan, evalCondition, localTime } from './corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'logjail-corpus-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

writeFileSync(
  join(dir, 'demo'),
  [
    '# comment',
    '# failJSON: { "match": true, "host": "192.0.2.1" }',
    'line one',
    'unannotated line',
    '',
    '# filterOptions: [{}, {"mode": "aggressive"}]',
    '# failJSON: { "constraint": "opts.get(\'mode\') == \'aggressive\'", "match": true }',
    'aggressive only',
    '# filterOptions: [{"test.condition": "name==\'other\'"}]',
    '# failJSON: { "match": true }',
    'skipped block',
    '# addFILE: "demo2"',
  ].join('\n') + '\n',
);
writeFileSync(join(dir, 'demo2'), '# fileOptions: {"logtype": "journal"}\n# filterOptions: [{}]\n# failJSON: { "match": false }\nj line\n');

describe('sample corpus reader', () => {
  const plan = buildPlan('demo', dir);

  it('walks annotations, unannotated lines, option sets, constraints and addFILE in order', () => {
    expect(plan.steps.map((s) => `${s.file}:${s.lineNo} ${s.key} ${s.expect ? 'A' : '-'}`)).toEqual([
      'demo:3 demo A',
      'demo:4 demo -',
      'demo:8 demo{"mode":"aggressive"} A',
      'demo2:4 demo{"logtype":"journal"} A',
    ]);
    expect([...plan.instances.keys()]).toEqual(['demo', 'demo{"mode":"aggressive"}', 'demo{"logtype":"journal"}']);
  });

  it('evaluates the corpus conditions', () => {
    expect(evalCondition("name == 'sshd'", 'sshd', {})).toBe(true);
    expect(evalCondition("opts.get('mode') != 'aggressive'", 'x', { mode: 'aggressive' })).toBe(false);
    expect(() => evalCondition('1 + 1', 'x', {})).toThrow(/unsupported/);
  });

  it('reads local times in the process time zone', () => {
    const t = localTime('2005-08-14T12:00:00.5');
    expect(t - Math.floor(t)).toBeCloseTo(0.5);
    expect(localTime('2005-08-14T12:00:01') - localTime('2005-08-14T12:00:00')).toBe(1);
  });
});
