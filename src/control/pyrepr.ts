/**
 * Python's repr() for the plain values the server returns. fail2ban-client prints any reply it
 * has no special layout for with print(), so lists, dicts, None and booleans appear in Python form.
 */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === 'string') return pyStr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyStr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  return typeof v === 'bigint' ? v.toString() : 'None';
}

/** print(x): strings as is, everything else as repr. */
export function pyPrint(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

function pyFloat(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  const s = String(v);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

/** Printable ASCII without quote and backslash: repr() is the text in single quotes. */
const PLAIN = /^[\x20-\x26\x28-\x5b\x5d-\x7e]*$/;
/** Python's non-printable characters (str.isprintable: categories C and Z, except the space). */
const NON_PRINTABLE = /(?! )[\p{C}\p{Z}]/u;
/** Characters that make repr() more than the text in single quotes. */
const NEEDS_ESCAPE = /['\\]|(?! )[\p{C}\p{Z}]/u;

function pyStr(s: string): string {
  // nearly every value (addresses, user names, log lines) is printed as is
  if (PLAIN.test(s) || !NEEDS_ESCAPE.test(s)) return `'${s}'`;
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (!NON_PRINTABLE.test(ch)) out += ch;
    else if (c < 0x100) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}
