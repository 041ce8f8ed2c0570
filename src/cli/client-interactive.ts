import { createInterface } from 'node:readline';
import { errorMessage } from '../core/errors.js';
import { shellSplit } from '../sources/journal/shell-split.js';
import { clientUsage } from './client-help.js';
import { clientLogLine } from './output.js';

const PROMPT = 'fail2ban> ';

/**
 * `fail2ban-client -i`: commands from standard input, one per line, split like a shell; `help`
 * prints the usage, `exit` or `quit` (or the end of input) leave with status 0. A command given
 * on the command line runs first. Errors are reported as the one-shot client reports them and
 * the session goes on.
 */
export async function interactive(first: string[], run: (cmd: string[]) => Promise<number>): Promise<number> {
  if (first.length > 0) await run(first);
  process.stdout.write('logjail interactive client: fail2ban-client commands, "help", "exit".\n\n');
  const lines = createInterface({ input: process.stdin, terminal: false });
  process.stdout.write(PROMPT);
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === 'exit' || line === 'quit') return 0;
    if (line === 'help') process.stdout.write(clientUsage());
    else if (line !== '') {
      let cmd: string[];
      try {
        cmd = shellSplit(line, 'command');
      } catch (e) {
        process.stderr.write(`${clientLogLine('ERROR', errorMessage(e))}\n`);
        cmd = [];
      }
      if (cmd.length > 0) await run(cmd);
    }
    process.stdout.write(PROMPT);
  }
  process.stdout.write('\n');
  return 0;
}
