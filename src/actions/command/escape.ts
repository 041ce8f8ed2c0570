/**
 * Keeping log-derived values out of shell text.
 *
 * A value is inlined only when every character is harmless to /bin/sh (a whitelist, stricter than
 * fail2ban's blacklist). Anything else becomes a reference to a shell variable `$f2bV_<tag>` that
 * the script header assigns from a positional parameter; the value itself travels in argv, so the
 * shell never parses it.
 */

const SAFE_VALUE = /^[A-Za-z0-9_.,:/@%+=-]*$/;

export function isSafeValue(value: string): boolean {
  return SAFE_VALUE.test(value);
}

/** `F-USER` → `f2bV_F_USER`; any non-word character becomes `_`. */
export function shellVarName(tag: string): string {
  return `f2bV_${tag.replace(/\W/g, '_')}`;
}

/** Collects the variables one command needs, in first-use order. */
export class ShellVars {
  private readonly values = new Map<string, string>();

  /** Returns the text to put into the script for this tag value. */
  ref(tag: string, value: string): string {
    if (isSafeValue(value)) return value;
    const name = shellVarName(tag);
    // argv cannot carry NUL bytes; no log line legitimately contains one
    this.values.set(name, value.replace(/\0/g, ''));
    return `$${name}`;
  }

  get size(): number {
    return this.values.size;
  }

  entries(): [string, string][] {
    return [...this.values];
  }
}

/**
 * argv for `/bin/sh`: `-c '<assignments>\n<script>' sh v1 v2 …`. Assignments read `$1…`, never
 * the values themselves.
 */
export function shellArgv(script: string, vars: ShellVars | [string, string][] = []): string[] {
  const entries = Array.isArray(vars) ? vars : vars.entries();
  if (entries.length === 0) return ['-c', script];
  const header = entries.map(([name], i) => `${name}="\${${i + 1}}"`).join(' ');
  return ['-c', `${header}\n${script}`, 'sh', ...entries.map(([, v]) => v)];
}
