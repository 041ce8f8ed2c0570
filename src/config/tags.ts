/**
 * Config-level `<tag>` substitution over a filter's or action's option set: `<name>` becomes the
 * value of option `name`, repeatedly, inner tags first (`<mdre-<mode>>`). Tags that name nothing
 * stay as they are, which is how runtime tags (`<HOST>`, `<ip>`, `<F-USER>`) survive.
 */
import { ConfigError } from '../core/errors.js';
import type { Where } from './types.js';

/** A tag: no spaces or angle brackets inside. Nested tags match the innermost first. */
const TAG_RE = /<([^ <>]+)>/g;
const HAS_TAG_RE = /<[^ <>]+>/;
export const MAX_TAG_REPLACE_COUNT = 25;
// Guard against option sets that keep growing without ever settling.
const MAX_PASSES = 1000;

export interface TagOptions {
  /** Tags neither substituted nor processed (escaped tags, conditional bases). */
  ignore?: Iterable<string>;
  /** Fallback for tags that are not options (e.g. `section/option` lookups). */
  lookup?: (name: string) => string | undefined;
  /** Conditional suffix, e.g. `family=inet6`: `name?family=inet6` wins over `name`. */
  conditional?: string;
  /** Where an option was defined, for error messages. */
  where?: (key: string) => Where | undefined;
}

function get(tags: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(tags, name) ? tags[name] : undefined;
}

/** Substitute one value against a (resolved or not) option set; returns the new text. */
function substituteOne(
  key: string,
  value: string,
  tags: Readonly<Record<string, string>>,
  ignore: ReadonlySet<string>,
  opts: TagOptions,
): string {
  const refCounts = new Map<string, number>();
  const re = new RegExp(TAG_RE);
  let m = re.exec(value);
  while (m) {
    const rtag = m[1]!;
    if (ignore.has(rtag)) {
      m = re.exec(value);
      continue;
    }
    if (rtag === key) {
      throw new ConfigError(`option '${key}' refers to itself through <${rtag}>; tags cannot be resolved`, opts.where?.(key));
    }
    if ((refCounts.get(rtag) ?? 1) > MAX_TAG_REPLACE_COUNT) {
      throw new ConfigError(
        `tag <${rtag}> in option '${key}' was replaced more than ${MAX_TAG_REPLACE_COUNT} times (self-referencing definitions?)`,
        opts.where?.(key),
      );
    }
    let repl: string | undefined;
    if (opts.conditional) repl = get(tags, `${rtag}?${opts.conditional}`);
    repl ??= get(tags, rtag) ?? opts.lookup?.(rtag);
    if (repl === undefined) {
      m = re.exec(value);
      continue;
    }
    const start = m.index;
    value = value.split(`<${rtag}>`).join(repl);
    refCounts.set(rtag, (refCounts.get(rtag) ?? 0) + 1);
    re.lastIndex = start;
    m = re.exec(value);
  }
  return value;
}

/** Substitute tags across a whole option set (fail2ban's substituteRecursiveTags). */
export function substituteTags(input: Readonly<Record<string, string>>, opts: TagOptions = {}): Record<string, string> {
  const tags: Record<string, string> = { ...input };
  const ignore = new Set(opts.ignore ?? []);
  const done = new Set<string>();
  for (let pass = 0; ; pass++) {
    if (pass > MAX_PASSES) throw new ConfigError('tag substitution does not settle (recursive tag definitions?)');
    let again = false;
    for (const key of Object.keys(tags)) {
      if (ignore.has(key) || done.has(key)) continue;
      const orig = tags[key]!;
      const value = substituteOne(key, orig, tags, ignore, opts);
      if (value !== orig) {
        if (HAS_TAG_RE.test(value)) again = true;
        tags[key] = value;
      }
      // Unchanged means every tag in it is unknown or ignored, and stays so: no need to look again.
      if (value === orig || !value.includes('<')) done.add(key);
    }
    if (!again) return tags;
  }
}

/** Substitute tags in one text against an already substituted option set. */
export function substituteText(text: string, tags: Readonly<Record<string, string>>, opts: TagOptions = {}): string {
  const ignore = new Set(opts.ignore ?? []);
  let value = text;
  for (let pass = 0; pass <= MAX_PASSES; pass++) {
    const next = substituteOne('\u0000text', value, tags, ignore, opts);
    if (next === value) return value;
    value = next;
  }
  throw new ConfigError('tag substitution does not settle (recursive tag definitions?)');
}
