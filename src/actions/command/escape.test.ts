/**
 * Log-derived values must reach commands as data. Every hostile value below travels through a
 * real /bin/sh via CommandAction; the marker file must never appear and the value must arrive
 * byte-exact.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { CommandAction } from './command-action.js';
import { isSafeValue, shellArgv, shellVarName, ShellVars } from './escape.js';
import { actionFromText, captureLog, jailStub, tempDir, ticket } from './test-helpers.js';

const dir = tempDir('lj-inject-');
const MARK = join(dir, 'pwned');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const HOSTILE = [
  `$(touch ${MARK})`,
  `\`touch ${MARK}\``,
  '`id`',
  `;touch ${MARK}`,
  `'; touch ${MARK}; '`,
  `"; touch ${MARK}; "`,
  `a\ntouch ${MARK}\n`,
  `\r\ntouch ${MARK}`,
  `~!touch ${MARK}`,
  `x && touch ${MARK} || touch ${MARK}`,
  `| touch ${MARK}`,
  `> ${MARK}`,
  `\${IFS}touch\${IFS}${MARK}`,
  `\\$(touch ${MARK})`,
  '*',
  '<ip>',
  '  leading and trailing spaces  ',
  'ünïcødé ✓ 𝄞',
  '%s %b \\n \\c',
  '-n',
  '',
];

function action(ban: string) {
  const def = actionFromText(`[Definition]\nactionban = ${ban}\n`, {}, 'inject');
  const log = captureLog();
  return { act: new CommandAction(def, { jail: jailStub(), logger: log.logger }), log };
}

beforeEach(() => {
  rmSync(MARK, { force: true });
});

describe('escaping helpers', () => {
  it('whitelists only plainly harmless values', () => {
    expect(isSafeValue('192.0.2.1')).toBe(true);
    expect(isSafeValue('2001:db8::1')).toBe(true);
    expect(isSafeValue('user@example.com')).toBe(true);
    for (const v of HOSTILE.filter((x) => x !== '' && x !== '-n')) expect(isSafeValue(v)).toBe(false);
  });

  it('builds argv with values after the script, never inside it', () => {
    const vars = new ShellVars();
    expect(vars.ref('F-USER', '$(x)')).toBe('$f2bV_F_USER');
    const argv = shellArgv('echo "$f2bV_F_USER"', vars);
    expect(argv).toEqual(['-c', 'f2bV_F_USER="${1}"\necho "$f2bV_F_USER"', 'sh', '$(x)']);
    expect(argv[1]).not.toContain('$(x)');
    expect(shellVarName('jail.found_total')).toBe('f2bV_jail_found_total');
  });
});

describe('injection through real /bin/sh', () => {
  const out = join(dir, 'out');

  for (const [i, value] of HOSTILE.entries()) {
    it(`<F-USER> #${i} ${JSON.stringify(value).slice(0, 40)}`, async () => {
      const { act, log } = action(`printf '%s' "<F-USER>" > ${out}`);
      expect(await act.ban(ticket({ id: '192.0.2.1', fields: { user: value } }))).toBe(true);
      expect(existsSync(MARK)).toBe(false);
      expect(readFileSync(out, 'utf8')).toBe(value);
      expect(log.lines).toEqual([]);
    });
  }

  it('<matches> (multi-line, hostile) arrives byte-exact', async () => {
    const matches = HOSTILE.slice(0, 12);
    const { act } = action(`printf '%s' "<matches>" > ${out}`);
    expect(await act.ban(ticket({ id: '192.0.2.1', matches }))).toBe(true);
    expect(existsSync(MARK)).toBe(false);
    expect(readFileSync(out, 'utf8')).toBe(matches.join('\n'));
  });

  it('<ip> that is not an address (fid) arrives byte-exact', async () => {
    for (const id of [`1.2.3.4; touch ${MARK}`, `$(touch ${MARK})`, `1.2.3.4\ntouch ${MARK}`]) {
      const { act } = action(`printf '%s' "<ip>|<fid>" > ${out}`);
      expect(await act.ban(ticket({ id, ip: null }))).toBe(true);
      expect(existsSync(MARK)).toBe(false);
      expect(readFileSync(out, 'utf8')).toBe(`${id}|${id}`);
    }
  });

  it('unquoted use still cannot inject (word splitting is not code)', async () => {
    const { act } = action(`echo <F-USER> <matches> <ip> > ${out}`);
    const ok = await act.ban(
      ticket({
        id: `$(touch ${MARK})`,
        ip: null,
        fields: { user: `;touch ${MARK}` },
        matches: [`\`touch ${MARK}\``],
      }),
    );
    expect(ok).toBe(true);
    expect(existsSync(MARK)).toBe(false);
    expect(readFileSync(out, 'utf8')).toContain(`;touch ${MARK}`);
  });

  it('property: any string without NUL round-trips through "<F-USER>" and "<matches>"', async () => {
    const { act } = action(`printf '%s|%s' "<F-USER>" "<matches>" > ${out}`);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
        async (user, line) => {
          fc.pre(!user.includes('\0') && !line.includes('\0'));
          rmSync(MARK, { force: true });
          expect(await act.ban(ticket({ id: '192.0.2.7', fields: { user }, matches: [line] }))).toBe(true);
          expect(readFileSync(out, 'utf8')).toBe(`${user}|${line}`);
        },
      ),
      { numRuns: 60 },
    );
    expect(existsSync(MARK)).toBe(false);
  });
});
