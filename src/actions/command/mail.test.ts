/**
 * Mail actions are plain command actions. A sendmail stand-in records what it was given; the
 * stub `whois` fails fast (the command's `|| echo` must still let the mail go out) or prints
 * hostile text (which must end up as text, never run).
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandAction } from './command-action.js';
import { ProcessRunner } from './runner.js';
import { actionFromText, captureLog, jailStub, tempDir, ticket } from './test-helpers.js';

const root = tempDir('lj-mail-');
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let dir = '';
let n = 0;

function script(name: string, body: string): void {
  const p = join(dir, 'bin', name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
}

beforeEach(() => {
  dir = join(root, String(++n));
  mkdirSync(join(dir, 'bin'), { recursive: true });
  // the stand-in: one file per mail, argv and body kept apart
  script('sendmail', `printf '%s\\n' "$@" > ${dir}/mail.args\ncat > ${dir}/mail.body`);
});

// Written for these tests in the shape of the stock sendmail-whois-matches action.
const MAIL_ACTION = `
[Definition]
norestored = 1
actionstart = printf %%b "Subject: [Fail2Ban] <name>: started on <fq-hostname>
              From: <sendername> <<sender>>
              To: <dest>\\n
              The jail <name> has been started.\\n" | <mailcmd>
actionban = printf %%b "Subject: [Fail2Ban] <name>: banned <ip> from <fq-hostname>
            From: <sendername> <<sender>>
            To: <dest>\\n
            The IP <ip> has just been banned after <failures> attempts against <name>.\\n
            User: <F-USER>\\n
            Matches:\\n<matches>\\n
            Whois:\\n\`whois <ip> || echo "missing whois program"\`\\n" | <mailcmd>
[Init]
mailcmd = sendmail -f "<sender>" "<dest>"
dest = admin@example.org
sender = logjail@example.org
sendername = Logjail
`;

function make() {
  const log = captureLog();
  const runner = new ProcessRunner({ env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH ?? ''}` } });
  const def = actionFromText(MAIL_ACTION, { name: 'sshd', actname: 'sendmail-test' });
  const act = new CommandAction(def, {
    jail: jailStub('sshd'),
    logger: log.logger,
    runner,
    lookups: { fqdn: () => Promise.resolve('gate.example.org') },
  });
  return { act, log: log.lines };
}

const body = (): string => readFileSync(join(dir, 'mail.body'), 'utf8');

describe('mail actions', () => {
  it('sends the start mail', async () => {
    const { act } = make();
    await act.start();
    expect(readFileSync(join(dir, 'mail.args'), 'utf8')).toBe('-f\nlogjail@example.org\nadmin@example.org\n');
    expect(body()).toContain(
      'Subject: [Fail2Ban] sshd: started on gate.example.org\nFrom: Logjail <logjail@example.org>',
    );
  });

  it('still mails when whois fails fast', async () => {
    script('whois', 'exit 1');
    const { act } = make();
    expect(await act.ban(ticket({ id: '192.0.2.5', failures: 5 }))).toBe(true);
    expect(body()).toContain('Subject: [Fail2Ban] sshd: banned 192.0.2.5 from gate.example.org');
    expect(body()).toContain('The IP 192.0.2.5 has just been banned after 5 attempts against sshd.');
    expect(body()).toContain('Whois:\nmissing whois program\n');
  });

  it('carries hostile log values and whois output only as text', async () => {
    const mark = join(dir, 'pwned');
    script('whois', `echo "~!touch ${mark}"; echo '$(touch ${mark})'`);
    const { act } = make();
    const user = `$(touch ${mark})\`touch ${mark}\`'"; touch ${mark}`;
    const matches = [`Failed password for ~!touch ${mark} from 192.0.2.6`, `;touch ${mark} | x`];
    expect(await act.ban(ticket({ id: '192.0.2.6', fields: { user }, matches }))).toBe(true);
    expect(existsSync(mark)).toBe(false);
    const b = body();
    expect(b).toContain(`User: ${user}\n`);
    expect(b).toContain(`Matches:\n${matches.join('\n')}\n`);
    expect(b).toContain(`Whois:\n~!touch ${mark}\n$(touch ${mark})\n`);
  });

  it('does not mail restored bans (norestored)', async () => {
    const { act } = make();
    expect(await act.ban(ticket({ id: '192.0.2.7', restored: true }))).toBe(true);
    expect(existsSync(join(dir, 'mail.body'))).toBe(false);
  });
});
