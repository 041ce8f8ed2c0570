/**
 * Journal entries (journalctl -o json) turned into the log line fail2ban's systemd backend builds:
 * `<_HOSTNAME> <SYSLOG_IDENTIFIER|_COMM>[<SYSLOG_PID|_PID>]: <MESSAGE>`; kernel entries get
 * `[ monotonic]` after `kernel:`; newlines inside MESSAGE become a literal `\n`.
 */

export type JournalEntry = Record<string, unknown>;

/** A field value: a string, bytes as an array of numbers (binary/non-UTF-8), or a list for repeated fields. */
function values(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (typeof v === 'number') return [String(v)];
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return [Buffer.from(v).toString('utf8')];
    return v.flatMap(values);
  }
  return [];
}

export function field(e: JournalEntry, name: string): string | undefined {
  return values(e[name])[0];
}

export function formatJournalEntry(e: JournalEntry): { text: string; time: number | undefined } {
  const parts: string[] = [];
  const host = field(e, '_HOSTNAME');
  if (host) parts.push(host);
  let tag = field(e, 'SYSLOG_IDENTIFIER') || field(e, '_COMM') || '';
  const pid = field(e, 'SYSLOG_PID') || field(e, '_PID');
  if (pid && (tag || parts.length > 0)) {
    const n = Number(pid);
    const p = `[${Number.isInteger(n) ? String(n) : pid}]`;
    if (tag) tag += p;
    else parts[0] = `${host ?? ''}${p}`;
  }
  if (tag) parts.push(tag);
  if (parts.length > 0) parts.push(`${parts.pop() ?? ''}:`);
  if (parts.at(-1) === 'kernel:') {
    const mono = Number(field(e, '_SOURCE_MONOTONIC_TIMESTAMP') || field(e, '__MONOTONIC_TIMESTAMP'));
    if (Number.isFinite(mono)) parts.push(`[${(mono / 1e6).toFixed(6).padStart(12)}]`);
  }
  parts.push(values(e.MESSAGE).join('\n'));
  const us = Number(field(e, '__REALTIME_TIMESTAMP'));
  return {
    text: parts.join(' ').replace(/\n/g, '\\n'),
    time: Number.isFinite(us) && us > 0 ? us / 1e6 : undefined,
  };
}
