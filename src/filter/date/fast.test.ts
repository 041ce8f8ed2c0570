process.env.TZ = 'Europe/Zurich';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeConverter } from './convert.js';
import { yearSpec } from './directives.js';
import { ISO_PATTERN, PatternTemplate, SYSLOG_PATTERN } from './template.js';

const NOW = 1124013600;
const years = yearSpec(2005, new Date().getFullYear());
const conv = new TimeConverter(null);

/** The hand parser (exact default pattern) must agree with the plain regex (same pattern + `(?:)`). */
function agree(pattern: string, line: string): void {
  const fast = new PatternTemplate(pattern, years);
  const slow = new PatternTemplate(pattern + '(?:)', years);
  const a = fast.search(line);
  const b = slow.search(line);
  expect(a, line).toBe(b);
  if (!a) return;
  expect([fast.start, fast.end, fast.dateStart, fast.dateEnd], line).toEqual([slow.start, slow.end, slow.dateStart, slow.dateEnd]);
  expect(fast.time(line, conv, NOW), line).toEqual(slow.time(line, conv, NOW));
}

const pick = (...xs: string[]): fc.Arbitrary<string> => fc.constantFrom(...xs);
const hour = pick('0', '00', '9', '09', '19', '20', '23', '24', '29', '30', ' 9', '  9', 'x');
const minute = pick('0', '00', '07', '59', '60', '5', '');
const second = pick('0', '00', '59', '60', '61', '62', '6', '9', '7x');
const day = pick('1', '01', ' 1', '  1', '31', '30', '32', '3', '0', '29', '12', '09', '');
const tail = pick('', ' host', 'x', ']', ':', '5', '.', 'é', '_', ' ');

describe('hand parsers equal the template regexes', () => {
  it('syslog', () => {
    const line = fc
      .tuple(
        pick('', '[', ' ', '  ', '[ ', '<', 'x', '[[[', '"'),
        pick('', 'Sun ', 'mon ', 'SAT ', 'Sun', 'Xyz '),
        pick('Aug', 'jan', 'DEC', 'Foo', 'Au', 'Mon'),
        pick(' ', '  ', '-'),
        day,
        pick(' ', '  ', ''),
        hour,
        pick(':', '.'),
        minute,
        pick(':', ''),
        second,
        pick('', '.', '.1', '.123456', '.1234567', ',5'),
        pick('', ' 2005', ' 1999', ' 20051', ' 205', ' 2005x', '  2005'),
        tail,
      )
      .map((p) => p.join(''));
    fc.assert(
      fc.property(line, (l) => {
        agree(SYSLOG_PATTERN, l);
      }),
      { numRuns: 4000 },
    );
  });

  it('ISO', () => {
    const line = fc
      .tuple(
        pick('', '[', ' ', '  ', 'x', '<<<'),
        pick('2005', '1999', '2030', '205', '20055'),
        pick('-', '/', '.', '_'),
        pick('1', '01', '10', '12', '13', '0', '00', '8'),
        pick('-', '/', '.'),
        day,
        pick('T', ' ', '  ', '   ', 't', ''),
        hour,
        pick(':'),
        minute,
        pick(':', ''),
        second,
        pick('', '.5', ',123', '.1234567', '.'),
        pick('', 'Z', ' Z', '+02:00', '+0200', '+02', '-0130', '+2', '+02:0', ' UTC', 'GMT', ' CET', '  +01:00', 'Zx', '+0200x', '\t-0000'),
        tail,
      )
      .map((p) => p.join(''));
    fc.assert(
      fc.property(line, (l) => {
        agree(ISO_PATTERN, l);
      }),
      { numRuns: 4000 },
    );
  });

  it('examples', () => {
    for (const l of ['Aug 14 11:59:59 host', 'Aug 31 11:59:59', 'Aug  4 1:2:3.', 'Sun Aug 14 11:59:59.1234567 2005 x']) agree(SYSLOG_PATTERN, l);
    for (const l of ['2005-08-14T11:59:59.123+02:00 x', '2005-08-14 23:00:00Z', '2005/8/4  1:00:00 -01']) agree(ISO_PATTERN, l);
  });
});
