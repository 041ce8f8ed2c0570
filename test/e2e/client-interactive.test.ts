import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { built, CLI, daemonRoots } from './harness.js';

/**
 * `fail2ban-client -i` against our daemon: a prompt per line read, replies and errors as the
 * one-shot client prints them, `help`, shell-style quoting, `exit`, and the end of input.
 */
const root = daemonRoots();

describe.skipIf(!built())('interactive client (-i)', () => {
  const session = (conf: string, input: string, ...extra: string[]): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, [CLI, 'client', '-c', conf, '-i', ...extra], { input, encoding: 'utf8', timeout: 30_000 });

  it('runs each line as a command until exit, and goes on after an error', async () => {
    const d = root();
    await d.start();
    const r = session(d.conf, 'ping\n\n  set test banip 198.51.100.9  \nfoo bar\nget test banned 198.51.100.9\necho "a b" c\nexit\nping\n');
    expect(r.status).toBe(0);
    const [banner, ...rest] = r.stdout.split('\n\n');
    expect(banner).toMatch(/interactive/);
    expect(rest.join('\n\n')).toBe(
      [
        'fail2ban> Server replied: pong',
        'fail2ban> fail2ban> 1',
        'fail2ban> Invalid command',
        'fail2ban> 1',
        'fail2ban> a b c',
        'fail2ban> ',
      ].join('\n'),
    );
    // the error is logged as the one-shot client logs it; the line after `exit` never ran
    expect(r.stderr).toMatch(/ERROR {3}NOK: \('Invalid command',\)/);
    expect(r.stdout.match(/pong/g)).toHaveLength(1);
    expect(d.client(['get', 'test', 'banip']).stdout).toBe('198.51.100.9\n');
  });

  it('help prints the usage; the end of input ends the session; a command line command runs first', async () => {
    const d = root();
    await d.start();
    const r = session(d.conf, 'help\nstatus', 'ping');
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('Server replied: pong\n')).toBe(true);
    expect(r.stdout).toContain('fail2ban> Usage: fail2ban-client [OPTIONS] <COMMAND>');
    expect(r.stdout).toContain('set JAIL addlogpath FILE [tail|head]');
    expect(r.stdout.endsWith('`- Jail list:\ttest\nfail2ban> \n')).toBe(true);
    const bad = session(d.conf, "echo 'unterminated\nping\n");
    expect(bad.status).toBe(0);
    expect(bad.stderr).toMatch(/unterminated single quote/);
    expect(bad.stdout).toContain('fail2ban> Server replied: pong');
  });
});
