/**
 * Finding a filter/action by name (or path), with a "not found" error that lists every path
 * searched and points at the usual mistake (`filters.d/` instead of `filter.d/`).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { configCandidates, findConfigFiles, type ReadCache } from './configset.js';
import type { Where } from './types.js';

export type Kind = 'filter' | 'action';

const WRONG_DIRS: Record<Kind, string[]> = {
  filter: ['filters.d', 'filter', 'action.d', 'actions.d'],
  action: ['actions.d', 'action', 'filter.d', 'filters.d'],
};

export interface Located {
  /** Logical base (absolute path without extension) for readConfigSet. */
  base: string;
  /** Display name (`sshd`, or the file's base name for a path). */
  name: string;
  /** Files found, in read order. */
  files: string[];
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A filter given as a path: absolute, containing `/`, or an existing `*.conf`/`*.local`. */
export function isPathSpec(name: string): boolean {
  return name.startsWith('/') || name.includes('/') || (/\.(conf|local)$/.test(name) && isFile(name));
}

export function locate(
  kind: Kind,
  basedir: string,
  name: string,
  context?: { jail?: string; where?: Where; cache?: ReadCache },
): Located {
  const dir = `${kind}.d`;
  let base: string;
  let display = name;
  if (isPathSpec(name)) {
    const abs = resolve(name);
    base = abs.replace(/\.(conf|local)$/, '');
    display = basename(base);
  } else {
    base = join(basedir, dir, name);
  }
  const files = findConfigFiles(basedir, base, context?.cache);
  if (files.length > 0) return { base, name: display, files };

  const searched = configCandidates(basedir, base);
  const hints: string[] = [];
  const root = isPathSpec(name) ? dirname(dirname(base)) : basedir;
  for (const wrong of WRONG_DIRS[kind]) {
    for (const ext of ['.conf', '.local']) {
      const p = join(root, wrong, `${basename(base)}${ext}`);
      if (existsSync(p)) hints.push(`found ${p}: ${kind}s are read from ${dir}/, not ${wrong}/`);
    }
  }
  const who = context?.jail !== undefined ? `jail '${context.jail}': ` : '';
  const msg = `${who}${kind} '${name}' not found; searched ${searched.join(', ')}${hints.length ? `; ${hints.join('; ')}` : ''}`;
  throw new ConfigError(msg, context?.where);
}
