import { describe, expect, it } from 'vitest';
import { timestampMessages } from './timestamp-warnings.js';

describe('timestampMessages (fail2ban 1.0.2 texts)', () => {
  it('odd: latency up to 55 minutes behind, else a time zone problem', () => {
    expect(timestampMessages({ kind: 'odd', delta: 7200, line: 'L' })).toEqual([
      'Detected a log entry 2h after the current time in operation mode. This looks like a timezone problem. Treating such entries as if they just happened.',
      'Please check a jail for a timing issue. Line with odd timestamp: L',
    ]);
    expect(timestampMessages({ kind: 'odd', delta: -125, line: 'L' })[0]).toBe(
      'Detected a log entry 2m 5s before the current time in operation mode. This looks like a latency problem. Treating such entries as if they just happened.',
    );
    expect(timestampMessages({ kind: 'odd', delta: -3600, line: 'L' })[0]).toContain('1h before');
    expect(timestampMessages({ kind: 'odd', delta: -3600, line: 'L' })[0]).toContain('a timezone problem');
  });

  it('old and missing timestamps', () => {
    expect(timestampMessages({ kind: 'old', findtime: 600, line: 'L' })).toEqual([
      'Ignoring all log entries older than 600s; these are probably messages generated while fail2ban was not running.',
      'Please check a jail for a timing issue. Line with odd timestamp: L',
    ]);
    expect(timestampMessages({ kind: 'none', timeText: '', matched: ['a', 'b'] })).toEqual([
      "Found a match but no valid date/time found for ''.",
      'Match without a timestamp: a\nb',
      'Please try setting a custom date pattern (see man page jail.conf(5)).',
    ]);
  });
});
