/**
 * Coded errors. Every error a user can cause carries a stable code and a message that
 * already names the file:line, key or argument involved, so the CLI can print it as one
 * line and the daemon can log it and keep serving.
 */
export class LogjailError extends Error {
  readonly code: string;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(code: string, message: string, where?: { file?: string; line?: number }) {
    super(where?.file ? `${where.file}${where.line ? `:${where.line}` : ''}: ${message}` : message);
    this.name = 'LogjailError';
    this.code = code;
    this.file = where?.file;
    this.line = where?.line;
  }
}

/** Config problems: unreadable file, syntax, bad value, unknown filter/action. */
export class ConfigError extends LogjailError {
  constructor(message: string, where?: { file?: string; line?: number }) {
    super('E_CONFIG', message, where);
    this.name = 'ConfigError';
  }
}

/** A Python regex construct we cannot translate faithfully. */
/** What fail2ban itself would have reported about the regex (its own words are used where it
 *  is the judge, e.g. fail2ban-regex's literal regexes). */
export type RegexFault =
  | { kind: 'compile'; reason: string; pattern: string }
  | { kind: 'no-failure-id'; regex: string };

export class RegexTranslateError extends LogjailError {
  constructor(
    message: string,
    where?: { file?: string; line?: number },
    readonly fault?: RegexFault,
  ) {
    super('E_REGEX', message, where);
    this.name = 'RegexTranslateError';
  }
}

/** Bad command-line or socket-command arguments. */
export class UsageError extends LogjailError {
  constructor(message: string) {
    super('E_USAGE', message);
    this.name = 'UsageError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
