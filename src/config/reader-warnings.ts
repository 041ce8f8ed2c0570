/**
 * fail2ban's reader warning for an option it takes a default for; `shown`: the default as Python
 * prints it (`'auto'`, `False`).
 */
export function notDefined(key: string, section: string, shown: string): string {
  return `'${key}' not defined in '${section}'. Using default one: ${shown}`;
}
