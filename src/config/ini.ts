/**
 * One INI file, parsed the way Python's `configparser` (as fail2ban configures it) reads it:
 * keys lower-cased, section names case-sensitive, `#`/`;` full-line comments, inline comments
 * only `;` after whitespace, indented continuation lines, strict duplicates within one file.
 * Every key keeps the file:line of each of its value lines, so later stages can point at them.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import type { Where } from './types.js';

export interface Entry {
  /** Raw value (no interpolation); continuation lines joined with `\n`. */
  value: string;
  /** Where the key was written. */
  where: Where;
  /** Origin of each line of `value` (same length as `value.split('\n')`). */
  lines: Where[];
}

export interface IniSection {
  name: string;
  /** The section header's location (first header in this file). */
  where: Where;
  entries: Map<string, Entry>;
}

export interface IniFile {
  file: string;
  /** In file order; `DEFAULT` is a section like the others here. */
  sections: Map<string, IniSection>;
}

export const DEFAULT_SECTION = 'DEFAULT';

const SECTION_RE = /^\[(.+)\]/;
// Lazy key up to the first `=` or `:` (configparser's OPTCRE).
const OPTION_RE = /^(.*?)\s*([=:])\s*(.*)$/s;

/** Index of an inline `;` comment (at start or after whitespace), or -1. */
function inlineCommentStart(line: string): number {
  let i = line.indexOf(';');
  while (i !== -1) {
    if (i === 0 || /\s/.test(line.charAt(i - 1))) return i;
    i = line.indexOf(';', i + 1);
  }
  return -1;
}

export function parseIni(text: string, file: string): IniFile {
  const sections = new Map<string, IniSection>();
  const lines = text.split(/\r\n|\r|\n/);
  let cur: IniSection | null = null;
  let curOpt: { parts: string[]; wheres: Where[] } | null = null;
  let indentLevel = 0;
  const seenSections = new Set<string>();
  const pending: { entry: Entry; parts: string[]; wheres: Where[] }[] = [];

  for (let idx = 0; idx < lines.length; idx++) {
    const line = lines[idx]!;
    const lineno = idx + 1;
    let commentStart = inlineCommentStart(line);
    const stripped = line.trim();
    if (stripped.startsWith('#') || stripped.startsWith(';')) commentStart = 0;
    const value = (commentStart === -1 ? line : line.slice(0, commentStart)).trim();
    if (value === '') {
      // An empty line (not a comment) belongs to the current multi-line value.
      if (commentStart === -1 && curOpt) {
        curOpt.parts.push('');
        curOpt.wheres.push({ file, line: lineno });
      }
      continue;
    }
    const indent = line.search(/\S/);
    if (curOpt && indent > indentLevel) {
      curOpt.parts.push(value);
      curOpt.wheres.push({ file, line: lineno });
      continue;
    }
    indentLevel = indent;
    const sm = SECTION_RE.exec(value);
    if (sm) {
      const name = sm[1]!;
      if (seenSections.has(name) && name !== DEFAULT_SECTION) {
        throw new ConfigError(`duplicate section [${name}]`, { file, line: lineno });
      }
      seenSections.add(name);
      let sec = sections.get(name);
      if (!sec) {
        sec = { name, where: { file, line: lineno }, entries: new Map() };
        sections.set(name, sec);
      }
      cur = sec;
      curOpt = null;
      continue;
    }
    if (!cur) {
      throw new ConfigError(`'${value}' appears before any [section] header`, { file, line: lineno });
    }
    const om = OPTION_RE.exec(value);
    const key = om?.[1]?.trim().toLowerCase() ?? '';
    if (!om || key === '') {
      throw new ConfigError(`syntax error: expected 'key = value', '[section]' or an indented continuation line, got '${value}'`, {
        file,
        line: lineno,
      });
    }
    if (cur.entries.has(key)) {
      throw new ConfigError(`duplicate key '${key}' in section [${cur.name}]`, { file, line: lineno });
    }
    const where = { file, line: lineno };
    const entry: Entry = { value: '', where, lines: [] };
    cur.entries.set(key, entry);
    curOpt = { parts: [om[3]!.trim()], wheres: [where] };
    pending.push({ entry, ...curOpt });
  }
  for (const p of pending) {
    // Trailing empty lines are dropped (configparser rstrips the joined value).
    let n = p.parts.length;
    while (n > 1 && p.parts[n - 1] === '') n--;
    p.entry.value = p.parts.slice(0, n).join('\n');
    p.entry.lines = p.wheres.slice(0, n);
  }
  return { file, sections };
}

export function readIniFile(file: string): IniFile {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new ConfigError(`cannot read config file: ${(e as Error).message}`, { file });
  }
  return parseIni(decodeUtf8(buf, file), file);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Config files are UTF-8, as fail2ban reads them. A stray Latin-1 byte is an error at its line:
 * fail2ban 1.0.2 logs it and then drops the whole file, jails and all.
 */
function decodeUtf8(buf: Buffer, file: string): string {
  try {
    return UTF8.decode(buf);
  } catch {
    const at = firstInvalidUtf8(buf);
    const line = buf.subarray(0, at).toString('latin1').split('\n').length;
    const hex = buf[at]!.toString(16).padStart(2, '0');
    throw new ConfigError(`byte 0x${hex} is not valid UTF-8 (config files must be UTF-8)`, { file, line });
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const n = utf8Length(buf, i);
    if (n === 0) return i;
    i += n;
  }
  return buf.length - 1;
}

function utf8Length(buf: Buffer, i: number): number {
  const b = buf[i]!;
  const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (n <= 1) return n;
  if (i + n > buf.length) return 0;
  try {
    UTF8.decode(buf.subarray(i, i + n));
    return n;
  } catch {
    return 0;
  }
}
