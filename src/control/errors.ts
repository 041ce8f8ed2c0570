import { errorMessage } from '../core/errors.js';
import { pyRepr } from './pyrepr.js';

/**
 * Errors a command can raise, with the reply texts fail2ban-client prints for them.
 * `kind` travels over the socket so the client can format them like fail2ban's beautifier.
 */
export type CommandErrorKind = 'UnknownJail' | 'DuplicateJail' | 'Invalid' | 'Value' | 'Index' | 'Key';

export class CommandError extends Error {
  constructor(
    readonly kind: CommandErrorKind,
    message: string,
    /** repr() of the Python exception's args when it is not just the message (OSError's). */
    readonly args?: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export const unknownJail = (name: string): CommandError => new CommandError('UnknownJail', name);
export const duplicateJail = (name: string): CommandError => new CommandError('DuplicateJail', name);
export const invalidCommand = (): CommandError => new CommandError('Invalid', 'Invalid command');
/** A command without an argument it needs: fail2ban reads past the end of the list (IndexError). */
export const missingArgument = (): CommandError => new CommandError('Index', 'list index out of range');
/** `get <jail> <unknown>` and `set <jail> <unknown> …`, in fail2ban 1.0.2's words. */
export const noGetAction = (): CommandError =>
  new CommandError('Invalid', 'Invalid command (no get action or not yet implemented)');
export const noSetAction = (key: string): CommandError =>
  new CommandError('Invalid', `Invalid command ${pyRepr(key)} (no set action or not yet implemented)`);
export const badValue = (msg: string): CommandError => new CommandError('Value', msg);
/** A missing file, as Python's OSError: str() names the file, its args tuple does not. */
export const noSuchFile = (path: string): CommandError =>
  new CommandError('Value', `[Errno 2] No such file or directory: ${pyRepr(path)}`, "(2, 'No such file or directory')");
/** fail2ban's KeyError: str() quotes the message (the reply), its args tuple does not (the log). */
export const keyError = (msg: string): CommandError => new CommandError('Key', msg);

/** The line fail2ban-client prints for an error reply. */
export function errorText(kind: string, message: string): string {
  if (kind === 'UnknownJail') return `Sorry but the jail '${message}' does not exist`;
  if (kind === 'DuplicateJail') return `The jail '${message}' already exists`;
  if (kind === 'Index') return 'Sorry but the command is invalid';
  if (kind === 'Key') return pyRepr(message);
  return message;
}

/** The Python exception class fail2ban raises for each kind (its log names it). */
const PY_CLASS: Readonly<Record<CommandErrorKind, string>> = {
  UnknownJail: 'UnknownJailException',
  DuplicateJail: 'DuplicateJailException',
  Invalid: 'Exception',
  Value: 'ValueError',
  Index: 'IndexError',
  Key: 'KeyError',
};

/** repr() of the exception a failed command raised, e.g. `UnknownJailException('nosuch')`. */
export function exceptionRepr(e: unknown): string {
  if (e instanceof CommandError && e.args !== undefined) return `FileNotFoundError${e.args}`;
  if (e instanceof CommandError) return `${PY_CLASS[e.kind]}(${pyRepr(e.message)})`;
  return `Exception(${pyRepr(errorMessage(e))})`;
}
