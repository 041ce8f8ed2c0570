import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `logpath` globs with Python glob semantics: `*`, `?` and `[...]` (`[!...]` negates) within one
 * path component; a leading `.` must be matched explicitly. No `**`, no escapes (use `[*]`).
 */

export function hasMagic(s: string): boolean {
  return /[*?[]/.test(s);
}

const reCache = new Map<string, RegExp>();

/** Compile one path component pattern to an anchored RegExp. */
export function componentRegExp(pattern: string): RegExp {
  const hit = reCache.get(pattern);
  if (hit) return hit;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      // A `]` right after `[` or `[!` is a literal member; without a closing `]` the `[` is literal.
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, j);
      const neg = body.startsWith('!');
      if (neg) body = body.slice(1);
      body = body.replace(/[\\\]^[]/g, (m) => `\\${m}`);
      re += neg ? `[^/${body}]` : `[${body}]`;
      i = j;
    } else re += c.replace(/[.+^${}()|\\\]]/g, (m) => `\\${m}`);
  }
  const out = new RegExp(`^${re}$`, 's');
  reCache.set(pattern, out);
  return out;
}

export function matchComponent(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  return componentRegExp(pattern).test(name);
}

export interface GlobResult {
  /** Matching regular files (symlinks to files included), sorted. */
  files: string[];
  /** Matching symlinks whose target does not exist. */
  dangling: string[];
}

/** Expand a glob against the file system. A pattern without magic yields itself if it exists. */
export async function expandGlob(pattern: string): Promise<GlobResult> {
  const abs = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p) => p !== '');
  const candidates: string[] = [];

  const walk = async (dir: string, i: number): Promise<void> => {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    let names: string[];
    if (!hasMagic(part)) names = [part];
    else {
      try {
        names = (await readdir(dir || '.')).filter((n) => matchComponent(part, n));
      } catch {
        return;
      }
    }
    for (const n of names) {
      const p = dir === '' ? n : join(dir, n);
      if (last) candidates.push(p);
      else await walk(p, i + 1);
    }
  };
  if (parts.length > 0) await walk(abs ? '/' : '', 0);

  const files: string[] = [];
  const dangling: string[] = [];
  for (const p of candidates) {
    try {
      if ((await stat(p)).isFile()) files.push(p);
    } catch {
      try {
        if ((await lstat(p)).isSymbolicLink()) dangling.push(p);
      } catch {
        /* does not exist */
      }
    }
  }
  files.sort();
  dangling.sort();
  return { files, dangling };
}
