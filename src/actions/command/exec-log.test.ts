import { describe, expect, it } from 'vitest';
import { logCommandFailure, outputLines } from './exec-log.js';

describe('a failed command as fail2ban.utils logs it', () => {
  it('splits output as Python bytes.splitlines: empty lines inside kept, no line for the final newline', () => {
    expect(outputLines('')).toEqual([]);
    expect(outputLines('\n')).toEqual(['']);
    expect(outputLines('a\n\nb\n')).toEqual(['a', '', 'b']);
    expect(outputLines('a\r\nb\rc')).toEqual(['a', 'b', 'c']);
  });

  it("quotes each line with Python's repr", () => {
    const out: string[] = [];
    logCommandFailure(
      (level, msg) => out.push(`${level} ${msg.replace(/^[0-9a-f]{12} /, '')}`),
      {
        ok: false,
        code: 2,
        signal: null,
        timedOut: false,
        stdout: '',
        stderr: "Chain 'f2b-x' does not exist\n\nsay \"it's\" \\ done\n",
      },
      'iptables -C f2b-x',
      60,
    );
    expect(out).toEqual([
      'error -- exec: iptables -C f2b-x',
      `error -- stderr: "Chain 'f2b-x' does not exist"`,
      "error -- stderr: ''",
      `error -- stderr: 'say "it\\'s" \\\\ done'`,
      'error -- returned 2',
    ]);
  });
});
