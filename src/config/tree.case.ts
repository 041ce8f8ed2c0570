/** Test helper (excluded from the build like other *.case.ts): config trees in a temp dir. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const made: string[] = [];

/** Write `files` (path → content) under a fresh temp dir and return the dir. */
export function makeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'logjail-config-'));
  made.push(dir);
  for (const [p, text] of Object.entries(files)) {
    const full = join(dir, p);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return dir;
}

export function cleanupTrees(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The fail2ban corpus: env LOGJAIL_COMPAT_CORPUS, else <repo>/../shared/fail2ban-corpus. */
export function corpusDir(): string {
  const env = process.env.LOGJAIL_COMPAT_CORPUS;
  if (env) return resolve(env);
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return resolve(repo, '..', 'shared', 'fail2ban-corpus');
}

/** Run fn and return the ConfigError message it throws (fails the test if nothing is thrown). */
export function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}
