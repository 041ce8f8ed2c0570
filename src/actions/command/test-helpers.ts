/**
 * Test support only: a crude action-file loader (sections, continuation lines, `%(x)s`,
 * `before=` includes) standing in for the real config reader, plus ticket/jail stubs.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActionDef } from '../../config/types.js';
import type { BanTicket } from '../../core/failure.js';
import type { ActionLogger, JailHandle } from '../action.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function corpusDir(): string {
  return process.env.LOGJAIL_COMPAT_CORPUS ?? resolve(REPO, '../shared/fail2ban-corpus');
}

type Sections = Map<string, Map<string, string>>;

function parseIni(text: string, into: Sections = new Map()): Sections {
  let sec: Map<string, string> | undefined;
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (/^\s*[#;]/.test(line) || !line.trim()) {
      if (!line.trim()) last = undefined;
      continue;
    }
    const h = /^\[([^\]]+)\]\s*$/.exec(line);
    if (h) {
      const name = h[1]!;
      sec = into.get(name) ?? new Map<string, string>();
      into.set(name, sec);
      last = undefined;
      continue;
    }
    if (/^\s/.test(line) && last !== undefined && sec) {
      sec.set(last, `${sec.get(last)!}\n${line.trim()}`);
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s?(.*)$/.exec(line);
    if (kv && sec) {
      last = kv[1]!.trim().toLowerCase();
      sec.set(last, kv[2]!.replace(/\s+;.*$/, '').trim());
    }
  }
  return into;
}

function interpolate(value: string, opts: Map<string, string>, depth = 0): string {
  if (depth > 20) throw new Error(`interpolation too deep: ${value}`);
  return value.replace(/%\((\w[\w/.-]*)\)s|%%/g, (m, k: string | undefined) => {
    if (k === undefined) return '%';
    const v = opts.get(k.toLowerCase());
    return v === undefined ? m : interpolate(v, opts, depth + 1);
  });
}

/** Build an ActionDef from action-file text (and the files it includes `before`). */
export function actionFromText(
  text: string,
  params: Record<string, string> = {},
  file = 'test',
  dir?: string,
): ActionDef {
  const secs: Sections = new Map();
  const own = parseIni(text);
  const before = own.get('INCLUDES')?.get('before');
  if (before && dir)
    for (const f of before.split('\n')) parseIni(readFileSync(join(dir, f.trim()), 'utf8'), secs);
  parseIni(text, secs);
  const merged = new Map<string, string>([
    ...(secs.get('DEFAULT') ?? []),
    ...(secs.get('Definition') ?? []),
    ...(secs.get('Init') ?? []),
  ]);
  for (const [k, v] of Object.entries(params)) merged.set(k.toLowerCase(), v);
  const options: Record<string, string> = {};
  for (const [k, v] of merged) options[k] = interpolate(v, merged);
  const conditional: Record<string, Record<string, string>> = {};
  for (const [name, sec] of secs) {
    const m = /^Init\?family=(\w+)$/.exec(name);
    if (!m) continue;
    const c: Record<string, string> = {};
    for (const [k, v] of sec)
      if (!Object.hasOwn(params, k)) c[k] = interpolate(v, new Map([...merged, ...sec]));
    conditional[m[1]!] = c;
  }
  const name = params.name ?? 'test';
  return { actname: params.actname ?? file, file, options: { name, ...options }, conditional };
}

export function actionFromFile(path: string, params: Record<string, string> = {}): ActionDef | null {
  if (!existsSync(path)) return null;
  return actionFromText(readFileSync(path, 'utf8'), params, basename(path, '.conf'), dirname(path));
}

export function ticket(p: Partial<BanTicket> & { id: string }): BanTicket {
  return {
    jail: 'test',
    ip: p.ip === undefined ? p.id : p.ip,
    time: 1_700_000_000,
    bantime: 600,
    banCount: 0,
    failures: 3,
    matches: [],
    fields: {},
    restored: false,
    ...p,
  };
}

export function jailStub(name = 'test'): JailHandle {
  return { name, info: () => ({ banned: 2, bannedTotal: 5, found: 1, foundTotal: 9 }) };
}

/** `lines`: `LEVEL message`; `from`: the same with the logger first (`utils ERROR …`). */
export function captureLog(): { logger: ActionLogger; lines: string[]; from: string[] } {
  const lines: string[] = [];
  const from: string[] = [];
  return {
    lines,
    from,
    logger: (l, m, source = 'actions') => {
      lines.push(`${l.toUpperCase()} ${m}`);
      from.push(`${source} ${l.toUpperCase()} ${m}`);
    },
  };
}

export function tempDir(prefix = 'lj-act-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
