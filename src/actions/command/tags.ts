/**
 * Tag substitution for action commands, in fail2ban's two passes:
 *  - static: `<tag>` → the action's own option, recursively, family-conditional values first;
 *  - dynamic: ticket values, one non-recursive pass; values that are not plainly safe become
 *    `$f2bV_*` shell variables (see escape.ts), so a log line can never add shell syntax or tags.
 */
import { ConfigError } from '../../core/errors.js';
import type { ShellVars } from './escape.js';

/** `inet4`/`inet6`; '' = no family (fail2ban's unconditional view). */
export type FamilyKey = 'inet4' | 'inet6' | '';

/** Tag names match fail2ban's `<([^ <>]+)>`: innermost first, so `<a-<b>>` nests. */
const TAG_RE = /<([^ <>]+)>/g;
const MAX_ROUNDS = 50;

/** Never substituted statically: their content comes from logs. */
const DYNAMIC_ONLY = new Set(['matches', 'ipmatches', 'ipjailmatches']);

/** Always-known tags (static and dynamic pass). */
const BUILTIN: Readonly<Record<string, string>> = { br: '\n', sp: ' ' };

export class StaticTags {
  private readonly resolved = new Map<string, string | null>();
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly options: Readonly<Record<string, string>>,
    private readonly conditional: Readonly<Record<string, Readonly<Record<string, string>>>> = {},
    /** For error messages. */
    private readonly origin = 'action',
  ) {}

  /** True when some option has a `?family=` variant (fail2ban then starts families on demand). */
  get hasConditional(): boolean {
    return Object.values(this.conditional).some((o) => Object.keys(o).length > 0);
  }

  /** The raw (unexpanded) option, the family variant preferred. */
  raw(key: string, family: FamilyKey = ''): string | undefined {
    if (family) {
      const v = this.conditional[family]?.[key];
      if (v !== undefined) return v;
    }
    return Object.hasOwn(this.options, key) ? this.options[key] : undefined;
  }

  /** Option `key` fully expanded for `family`; '' when missing. */
  option(key: string, family: FamilyKey = ''): string {
    return this.lookup(key, family, []) ?? '';
  }

  /** Expand every known tag in `text` (cached per text and family). */
  expand(text: string, family: FamilyKey = ''): string {
    const ck = `${family}\0${text}`;
    let v = this.cache.get(ck);
    if (v === undefined) {
      v = this.expandText(text, family, []);
      this.cache.set(ck, v);
    }
    return v;
  }

  private expandText(text: string, family: FamilyKey, stack: string[]): string {
    let cur = text;
    for (let round = 0; ; round++) {
      if (!cur.includes('<')) return cur;
      const next = cur.replace(TAG_RE, (m, tag: string) => this.lookup(tag, family, stack) ?? m);
      if (next === cur) return cur;
      if (round >= MAX_ROUNDS) {
        throw new ConfigError(
          `${this.origin}: tag replacement does not terminate in "${text.slice(0, 200)}"`,
        );
      }
      cur = next;
    }
  }

  private lookup(tag: string, family: FamilyKey, stack: string[]): string | undefined {
    if (DYNAMIC_ONLY.has(tag)) return undefined;
    const ck = `${family}\0${tag}`;
    const hit = this.resolved.get(ck);
    if (hit !== undefined) return hit ?? undefined;
    let raw: string | undefined;
    if (tag.startsWith('known/')) {
      // `<known/x>`: the action's own value of x. The reader may supply it as option `known/x`;
      // otherwise x itself, unless x is the pass-through `<known/x>` (then it stays unresolved).
      const base = tag.slice('known/'.length);
      raw = this.raw(tag, family) ?? this.raw(base, family);
      if (raw?.includes(`<${tag}>`)) raw = undefined;
    } else {
      raw = this.raw(tag, family) ?? BUILTIN[tag];
    }
    if (raw === undefined) {
      this.resolved.set(ck, null);
      return undefined;
    }
    if (stack.includes(tag)) {
      throw new ConfigError(
        `${this.origin}: option "${tag}" refers to itself (via ${[...stack, tag].map((s) => `<${s}>`).join(' → ')})`,
      );
    }
    const value = this.expandText(raw, family, [...stack, tag]);
    this.resolved.set(ck, value);
    return value;
  }
}

/** The names of all tags in `text` (after the static pass: what the dynamic pass must supply). */
export function tagsIn(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(TAG_RE)) out.add(m[1]!);
  return out;
}

/** Custom capture tags: `<F-USER>` → field `user`. */
const FIELD_TAG = /^F-([A-Za-z0-9_-]+)$/;

export function fieldOfTag(tag: string): string | null {
  const m = FIELD_TAG.exec(tag);
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * Dynamic pass: one scan, no recursion. `values` holds ticket/jail tags; `fields` the captured
 * `<F-*>` groups (missing ones become ''). Unknown tags stay as they are.
 */
export function substituteDynamic(
  text: string,
  values: ReadonlyMap<string, string>,
  fields: Readonly<Record<string, string>>,
  vars: ShellVars,
): string {
  if (!text.includes('<')) return text;
  const escaped = text.includes('printf') ? printfEscapeArgs(text) : [];
  const ref = (name: string, value: string, at: number): string =>
    value.includes('\\') && escaped.some(([a, b]) => at > a && at < b)
      ? vars.ref(`${name}_b`, value.replaceAll('\\', '\\\\'))
      : vars.ref(name, value);
  return text.replace(TAG_RE, (m, tag: string, at: number) => {
    const v = values.get(tag);
    if (v !== undefined) return ref(tag, v, at);
    const field = fieldOfTag(tag);
    if (field !== null) {
      const fv = Object.hasOwn(fields, field) ? fields[field]! : (fields[field.replace(/-/g, '_')] ?? '');
      return ref(`F_${field}`, fv, at);
    }
    return BUILTIN[tag] ?? m;
  });
}

/**
 * The double-quoted arguments of `printf %b` (and `printf -- %b`), as [open quote, close quote]
 * offsets. The stock mail actions put `<matches>` there, and `%b` reads backslash escapes in
 * its argument: a log line holding `\c` would end the mail's text at that point (hiding the
 * lines after it), `\0NNN` would write any byte. A log value inside such an argument is passed
 * with its backslashes doubled, so `%b` prints it as it was logged (fail2ban 1.0.2 does not).
 * Backquoted and `$(…)` substitutions inside the argument are skipped over, quotes and all.
 */
export function printfEscapeArgs(text: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of text.matchAll(/\bprintf\s+(?:--\s+)?%b\s+"/g)) {
    const open = m.index + m[0].length - 1;
    let i = open + 1;
    let depth = 0;
    let tick = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\\') i++;
      else if (c === '`') tick = !tick;
      else if (c === '$' && text[i + 1] === '(') {
        depth++;
        i++;
      } else if (c === ')' && depth > 0) depth--;
      else if (c === '"' && !tick && depth === 0) break;
    }
    out.push([open, i]);
  }
  return out;
}
