/**
 * `name[key=value, key2="a,b"][k=v]` — how jails pass parameters to filters, actions and backends —
 * and the splitting of a multi-line `action =` value into single action specs.
 */
import { ConfigError } from '../core/errors.js';
import type { Where } from './types.js';

export interface Spec {
  name: string;
  /** Keys lower-case; values stripped (quoted ones too); quotes removed, backslash escapes kept as written. */
  params: Record<string, string>;
}

const KEY_RE = /[\w\-.]+(?:\?[\w\-.]+=[\w\-.]+)?/y;

function fail(text: string, pos: number, what: string, where?: Where): never {
  const around = text.slice(pos, pos + 25);
  throw new ConfigError(`bad parameter syntax in '${text}': ${what} at offset ${pos}${around ? ` ('${around}')` : ''}`, where);
}

export function parseSpec(text: string, where?: Where): Spec {
  const s = text.trim();
  const open = s.indexOf('[');
  const name = (open < 0 ? s : s.slice(0, open)).trim();
  if (name === '') fail(s, 0, 'missing name before parameters', where);
  const params: Record<string, string> = {};
  if (open < 0) return { name, params };
  let i = open;
  const ws = (): void => {
    while (i < s.length && /\s/.test(s.charAt(i))) i++;
  };
  while (true) {
    ws();
    if (i >= s.length) break;
    if (s.charAt(i) !== '[') fail(s, i, "expected '['", where);
    i++;
    while (true) {
      ws();
      if (i >= s.length) fail(s, i, "missing ']'", where);
      if (s.charAt(i) === ']') {
        i++;
        break;
      }
      KEY_RE.lastIndex = i;
      const km = KEY_RE.exec(s);
      if (!km) fail(s, i, 'expected an option name', where);
      const key = km[0].toLowerCase();
      i += km[0].length;
      ws();
      if (s.charAt(i) !== '=') fail(s, i, `expected '=' after '${key}'`, where);
      i++;
      ws();
      let value: string;
      const q = s.charAt(i);
      if (q === '"' || q === "'") {
        const start = ++i;
        while (i < s.length && s.charAt(i) !== q) i += s.charAt(i) === '\\' ? 2 : 1;
        if (i >= s.length) fail(s, start - 1, `unterminated ${q === '"' ? 'double' : 'single'}-quoted value of '${key}'`, where);
        value = s.slice(start, i);
        i++;
        ws();
        const c = s.charAt(i);
        if (c !== ',' && c !== ']') fail(s, i, `unexpected text after the value of '${key}'`, where);
      } else {
        const start = i;
        while (i < s.length && s.charAt(i) !== ',' && s.charAt(i) !== ']') i++;
        if (i >= s.length) fail(s, i, "missing ']'", where);
        value = s.slice(start, i);
      }
      params[key] = value.trim();
      if (s.charAt(i) === ',') i++;
    }
  }
  return { name, params };
}

/** Bracket depth at the end of `text` (quotes inside brackets respected). */
function bracketDepth(text: string): number {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (depth > 0 && (c === '"' || c === "'")) quote = c;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
  }
  return quote ? Math.max(depth, 1) : depth;
}

/** Split an `action =` value into one spec per action; a spec may wrap lines inside `[...]`. */
export function splitActions(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    if (cur === '' && line.trim() === '') continue;
    cur = cur === '' ? line : `${cur}\n${line}`;
    if (bracketDepth(cur) <= 0) {
      out.push(cur.trim());
      cur = '';
    }
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}
