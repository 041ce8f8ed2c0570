import { accessSync, constants, statSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import type { LogPathDef, Where } from './types.js';

/**
 * A literal `logpath` that exists but can never be read (a directory, no read permission) is a
 * config error, reported before anything starts (fail2ban 1.0.2 refuses such a jail too, with
 * only "(21, 'Is a directory')"). A missing file is fine: it is waited for. Globs are left to
 * the source, which skips what does not fit.
 */
export function checkLogpaths(paths: readonly LogPathDef[], where: Where): void {
  for (const { pattern } of paths) {
    if (/[*?[]/.test(pattern)) continue;
    let isDir: boolean;
    try {
      isDir = statSync(pattern).isDirectory();
    } catch {
      continue;
    }
    if (isDir) throw new ConfigError(`logpath '${pattern}' is a directory, not a log file`, where);
    try {
      accessSync(pattern, constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError(`logpath '${pattern}' cannot be read (${code})`, where);
    }
  }
}
