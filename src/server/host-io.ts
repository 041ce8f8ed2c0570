import { spawn } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { readFile, stat } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { shellArgv, ShellVars } from '../actions/command/escape.js';
import { logCommandFailure, type ExecLog } from '../actions/command/exec-log.js';
import type { IgnoreSubject } from '../jail/ignore.js';

/**
 * The I/O the pure jail code asks for: DNS, this host's own addresses (ignoreself), `file:`
 * ignore lists and `ignorecommand` (run like an action: log values travel as $f2bV_* args).
 */
/** fail2ban's command timeout (seconds) and how much of a failed command's output is kept. */
const IGNORECOMMAND_TIMEOUT = 60;
const OUTPUT_CAP = 64 * 1024;

async function resolve(name: string): Promise<readonly string[]> {
  try {
    const r = await dns.lookup(name, { all: true });
    return r.map((x) => x.address);
  } catch {
    return [];
  }
}

async function selfAddresses(): Promise<readonly string[]> {
  const out = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  for (const n of ['localhost', hostname()]) for (const a of await resolve(n)) out.add(a);
  return [...out];
}

const mtimes = new Map<string, number>();
async function readChanged(path: string): Promise<string | null> {
  const st = await stat(path);
  if (mtimes.get(path) === st.mtimeMs) return null;
  mtimes.set(path, st.mtimeMs);
  return readFile(path, 'utf8');
}

/**
 * Runs the ignorecommand for one subject; resolves to its exit status (255 when it cannot run).
 * An exit other than 0 (ignore) and 1 (do not) is reported through `log` as fail2ban.utils does.
 */
function runCommand(command: string, s: IgnoreSubject, log?: ExecLog): Promise<number> {
  const vars = new ShellVars();
  const values: Record<string, string> = {
    ip: s.ip ?? s.id,
    fid: s.id,
    failures: String(s.failures),
    time: String(s.time),
    matches: s.matches.join('\n'),
  };
  const script = command.replace(/<([^<> ]+)>/g, (m, tag: string) => {
    if (tag in values) return vars.ref(tag, values[tag]!);
    if (tag.startsWith('F-'))
      return vars.ref(`F_${tag.slice(2)}`, s.fields[tag.slice(2).toLowerCase()] ?? '');
    return m;
  });
  return new Promise((res) => {
    const child = spawn('/bin/sh', shellArgv(script, vars), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (out.stdout.length < OUTPUT_CAP) out.stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (out.stderr.length < OUTPUT_CAP) out.stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, IGNORECOMMAND_TIMEOUT * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (log && code !== 0 && code !== 1) {
        const what = vars.size ? `${script}  [vars: ${JSON.stringify(Object.fromEntries(vars.entries()))}]` : script;
        logCommandFailure(log, { ok: false, code, signal, timedOut, ...out }, what, IGNORECOMMAND_TIMEOUT);
      }
      res(code ?? 255);
    });
    child.on('error', () => {
      res(255);
    });
  });
}

let fqdnCache: string | null = null;
async function fqdn(): Promise<string> {
  if (fqdnCache !== null) return fqdnCache;
  const h = hostname();
  try {
    const { address } = await dns.lookup(h);
    const names = await dns.reverse(address).catch(() => [] as string[]);
    fqdnCache = names.find((n) => n.startsWith(`${h}.`)) ?? h;
  } catch {
    fqdnCache = h;
  }
  return fqdnCache;
}

async function reverse(ip: string): Promise<string | null> {
  try {
    const names = await dns.reverse(ip);
    return names[0] ?? null;
  } catch {
    return null;
  }
}

export const hostIo = { resolve, selfAddresses, readFile: readChanged, runCommand, fqdn, reverse };
