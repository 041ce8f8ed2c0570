/**
 * fail2ban's default date templates and the datepattern keywords that build templates.
 */
import type { YearSpec } from './directives.js';
import { EpochTemplate, LN_BEG, PatternTemplate, Tai64nTemplate, type Template } from './template.js';

const EPOCH = 'EPOCH';
const TAI64N = 'TAI64N';

/** The 17 default templates, in fail2ban's order (EPOCH/TAI64N stand for the special ones). */
export const DEFAULT_PATTERNS: readonly string[] = [
  // ISO 8601-ish: 2005-01-23T21:59:59.981746+02:00, 2005/01/23 21:59:59, 2006.12.21 06:43:20
  '%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?',
  // syslog / asctime: Jan 23 21:59:59, Sun Jan 23 21:59:59.011 2005
  '(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?',
  // Sun Jan 23 2005 21:59:59
  '(?:%a )?%b %d %ExY %k:%M:%S(?:\\.%f)?',
  // 23/01/2005 21:59:59, 17-07-2008 17:23:25, 23/01/05 21:59:59
  '%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S',
  // Apache [31/Oct/2006:09:22:55 -0000], 26-Jul-2007 15:20:52.252
  '%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\\.%f)?(?: %z)?',
  // CPanel 05/20/2008:01:57:39
  '%m/%d/%ExY:%H:%M:%S',
  // 01-27-2012 16:22:44.252
  '%m-%d-%ExY %k:%M:%S(?:\\.%f)?',
  EPOCH,
  // time only
  '{^LN-BEG}%H:%M:%S',
  // <09/16/08@05:03:30>
  '^<%m/%d/%Exy@%H:%M:%S>',
  // MySQL 130322 11:46:11
  '%Exy%Exm%Exd  ?%H:%M:%S',
  // Tomcat Jan 23, 2005 9:59:59 PM
  '%b %d, %ExY %I:%M:%S %p',
  // ASSP Apr-27-13 02:33:06
  '^%b-%d-%Exy %k:%M:%S',
  // 20050123T215959, 20050123 215959, 20050123-21:59:59
  '%ExY%Exm%Exd(?:-|T|  ?)%ExH:?%ExM:?%ExS(?:[.,]%f)?(?:\\s*%z)?',
  // monit: PDT Apr 16 21:05:29
  '(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?',
  // +00:00 Jan 23 21:59:59.011 2005
  '(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?',
  TAI64N,
];

const HAS_EMBEDDED_EPOCH = /(?<!\\)\{L?EPOCH\}/i;

/** Keywords compare case-insensitively unless the pattern has directives. */
export function patternKey(pattern: string): string {
  return pattern.includes('%') ? pattern : pattern.toUpperCase();
}

/** One datepattern line (not a `{DEFAULT}`/`{DATE}`/`{NONE}` keyword) → its template. */
export function templateFromPattern(pattern: string, years: YearSpec): Template {
  const key = patternKey(pattern);
  if (key.includes(EPOCH)) {
    if (HAS_EMBEDDED_EPOCH.test(pattern)) return new EpochTemplate({ pattern, long: key.includes('LEPOCH') });
    if (key === EPOCH || key === LN_BEG + EPOCH || key === '^' + EPOCH) {
      return new EpochTemplate({ lineBeginOnly: key !== EPOCH });
    }
    if (key === 'LEPOCH' || key === LN_BEG + 'LEPOCH' || key === '^LEPOCH') {
      return new EpochTemplate({ lineBeginOnly: key !== 'LEPOCH', long: true });
    }
  }
  if (key === TAI64N || key === LN_BEG + TAI64N || key === '^' + TAI64N) return new Tai64nTemplate(key !== TAI64N);
  return new PatternTemplate(pattern, years);
}

/** All defaults: line-start copies (weight 100) first, then the 17 originals. */
export function defaultTemplates(years: YearSpec): Template[] {
  const anchored: Template[] = [];
  const originals: Template[] = [];
  for (const p of DEFAULT_PATTERNS) {
    const t = templateFromPattern(p, years);
    if (!t.name.startsWith(LN_BEG) && !t.name.startsWith('^')) {
      const copy = templateFromPattern(LN_BEG + p, years);
      copy.weight = 100;
      anchored.push(copy);
    }
    originals.push(t);
  }
  return [...anchored, ...originals];
}

/** `{^LN-BEG}`/`{UNB}` removed: the pattern as embedded into a `{DATE}` context. */
export function unboundPattern(pattern: string): string {
  let p = pattern;
  if (p.startsWith('{UNB}')) p = p.slice(5);
  if (p.startsWith(LN_BEG)) p = p.slice(LN_BEG.length);
  return p;
}

/** What `{DATE}` becomes for a default entry: the pattern, or the special template's name. */
export function dateSubstitute(pattern: string): string {
  if (pattern === EPOCH) return 'Epoch';
  if (pattern === TAI64N) return TAI64N;
  return unboundPattern(pattern);
}
