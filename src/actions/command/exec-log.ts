/**
 * fail2ban.utils' report of a failed command (an action's, or the ignorecommand): the command,
 * its output lines, and how it ended, each line tagged with one reference.
 */
import { pyRepr } from '../../control/pyrepr.js';
import type { RunResult } from './runner.js';

/**
 * A command's output as fail2ban logs it: Python's bytes.splitlines(), so `\n`, `\r\n` and `\r`
 * end a line, an empty line inside the output is a line of its own, and a final line end adds
 * none.
 */
export function outputLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r\n|\r|\n/);
  if (/[\r\n]$/.test(text)) lines.pop();
  return lines;
}

let refCounter = 0;

export type ExecLog = (level: 'error' | 'info', msg: string) => void;

export function logCommandFailure(log: ExecLog, res: RunResult, what: string, timeout: number): void {
  const ref = (++refCounter).toString(16).padStart(12, '0');
  log('error', `${ref} -- exec: ${what}`);
  for (const [k, text] of [
    ['stdout', res.stdout],
    ['stderr', res.stderr],
  ] as const) {
    for (const line of outputLines(text)) log('error', `${ref} -- ${k}: ${pyRepr(line)}`);
  }
  if (res.timedOut) log('error', `${ref} -- timed out after ${timeout} seconds.`);
  else if (res.signal) log('error', `${ref} -- killed with ${res.signal} (return code: -1)`);
  else if (res.code !== null && res.code > 128)
    log('error', `${ref} -- killed with signal ${res.code - 128} (return code: ${res.code})`);
  else {
    log('error', `${ref} -- returned ${res.code ?? -1}`);
    if (res.code === 127)
      log(
        'info',
        `HINT on 127: "Command not found".  Make sure that all commands in the action are in the PATH of the server process.`,
      );
  }
}
