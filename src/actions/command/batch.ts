/**
 * Batching for the two firewall command shapes that dominate mass bans:
 *   `nft [--] add|delete element [family] <table> <set> { <ip> [opts] }`
 *   `ipset [-exist|-!|-q] add|del|-A|-D <set> <ip> [opts]`
 * A recognised command is applied for many addresses with ONE `nft -f -` / `ipset restore -exist`
 * process fed through stdin. Anything that is not plainly this shape returns null (per-ticket path).
 */
import { basename } from 'node:path';

export interface BatchShape {
  tool: 'nft' | 'ipset';
  /** What the command does to the set. */
  verb: 'add' | 'del';
  /** Program as written in the command (name or path). */
  program: string;
  args: string[];
  /** The stdin text applying the command to every address (already validated as IPs). */
  render(addresses: readonly string[]): string;
  /** nft only, when elements carry no options: `[family] table set`, for a set rebuild. */
  nftSet?: string[];
}

const IP_MARK = '\u0001';
const SAFE_WORD = /^[A-Za-z0-9_.,:/@%+=-]+$/;
const NFT_CHUNK = 1000;

/**
 * Split one simple shell line into words: plain words, `\x` escapes, '…' and "…" without
 * expansions. Returns null for anything the shell would interpret (variables, globs,
 * separators, redirections …).
 */
export function splitSimpleShell(line: string): string[] | null {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (cur !== null) words.push(cur);
      cur = null;
      continue;
    }
    if (c === '\\') {
      const n = line[i + 1];
      if (n === undefined || n === '\n') return null;
      cur = (cur ?? '') + n;
      i++;
    } else if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) return null;
      const body = line.slice(i + 1, end);
      if (c === '"' && /[$`\\!]/.test(body)) return null;
      cur = (cur ?? '') + body;
      i = end;
    } else if (SAFE_WORD.test(c) || c === IP_MARK || c === '{' || c === '}') {
      cur = (cur ?? '') + c;
    } else {
      return null;
    }
  }
  if (cur !== null) words.push(cur);
  return words;
}

const isSafe = (w: string): boolean => SAFE_WORD.test(w);

/** Recognise a statically expanded ban/unban command; `<ip>` must be its only remaining tag. */
export function batchShape(command: string): BatchShape | null {
  const line = command.trim();
  if (!line || line.includes('\n') || line.includes(IP_MARK)) return null;
  const marked = line.split('<ip>').join(IP_MARK);
  if (/<[^ <>]+>/.test(marked)) return null;
  const words = splitSimpleShell(marked);
  if (!words || words.length < 2) return null;
  const program = words[0]!;
  if (!isSafe(program)) return null;
  const tool = basename(program);
  if (tool === 'nft') return nftShape(program, words.slice(1));
  if (tool === 'ipset') return ipsetShape(program, words.slice(1));
  return null;
}

function nftShape(program: string, w: string[]): BatchShape | null {
  if (w[0] === '--') w = w.slice(1);
  const verb = w[0] === 'add' ? 'add' : w[0] === 'delete' ? 'del' : null;
  if (!verb || w[1] !== 'element') return null;
  const open = w.indexOf('{');
  if (open < 4 || open > 5 || w[w.length - 1] !== '}') return null;
  const target = w.slice(0, open);
  const elem = w.slice(open + 1, -1);
  if (!target.every(isSafe) || elem[0] !== IP_MARK || !elem.slice(1).every(isSafe)) return null;
  const head = target.join(' ');
  const tail = elem
    .slice(1)
    .map((x) => ` ${x}`)
    .join('');
  return {
    tool: 'nft',
    verb,
    program,
    args: ['-f', '-'],
    ...(tail ? {} : { nftSet: target.slice(2) }),
    render(addresses) {
      const lines: string[] = [];
      for (let i = 0; i < addresses.length; i += NFT_CHUNK) {
        const part = addresses.slice(i, i + NFT_CHUNK).map((a) => a + tail);
        lines.push(`${head} { ${part.join(', ')} }`);
      }
      return lines.join('\n') + '\n';
    },
  };
}

const IPSET_FLAGS = new Set(['-exist', '-!', '-q', '-quiet']);

function ipsetShape(program: string, w: string[]): BatchShape | null {
  let i = 0;
  while (i < w.length && IPSET_FLAGS.has(w[i]!)) i++;
  const cmd = w[i];
  const verb = cmd === 'add' || cmd === '-A' ? 'add' : cmd === 'del' || cmd === '-D' ? 'del' : null;
  const set = w[i + 1];
  if (!verb || set === undefined || !isSafe(set) || w[i + 2] !== IP_MARK) return null;
  const rest = w.slice(i + 3);
  if (!rest.every(isSafe)) return null;
  const tail = rest.map((x) => ` ${x}`).join('');
  return {
    tool: 'ipset',
    verb,
    program,
    args: ['restore', '-exist'],
    render(addresses) {
      return addresses.map((a) => `${verb} ${set} ${a}${tail}\n`).join('');
    },
  };
}

/**
 * Deleting elements from an nft *interval* set costs nft userspace time proportional to the set
 * size per element (minutes for thousands of deletes). For large unbans it is far cheaper to
 * rewrite the set in one atomic transaction: flush, then re-add what stays. `listJson` is
 * `nft -j list set …`; returns null when the set is not an interval set or holds elements we
 * cannot write back faithfully (timeouts, counters …): the caller then deletes normally.
 */
export function nftRebuild(
  listJson: string,
  set: readonly string[],
  remove: (elem: string) => boolean,
): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(listJson);
  } catch {
    return null;
  }
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items)) return null;
  const entry = items.find(
    (x): x is { set: Record<string, unknown> } => typeof x === 'object' && x !== null && 'set' in x,
  );
  if (!entry) return null;
  const flags = entry.set.flags;
  if (!Array.isArray(flags) || !flags.includes('interval')) return null;
  const elems = entry.set.elem ?? [];
  if (!Array.isArray(elems)) return null;
  const keep: string[] = [];
  for (const e of elems) {
    const text = nftElemText(e);
    if (text === null) return null;
    if (!remove(text)) keep.push(text);
  }
  const head = `element ${set.join(' ')}`;
  const lines = [`flush set ${set.join(' ')}`];
  for (let i = 0; i < keep.length; i += NFT_CHUNK)
    lines.push(`add ${head} { ${keep.slice(i, i + NFT_CHUNK).join(', ')} }`);
  return lines.join('\n') + '\n';
}

function nftElemText(e: unknown): string | null {
  if (typeof e === 'string') return isSafe(e) ? e : null;
  if (typeof e !== 'object' || e === null) return null;
  const o = e as { prefix?: { addr?: unknown; len?: unknown }; range?: unknown };
  if (
    o.prefix &&
    typeof o.prefix.addr === 'string' &&
    typeof o.prefix.len === 'number' &&
    isSafe(o.prefix.addr)
  ) {
    return `${o.prefix.addr}/${o.prefix.len}`;
  }
  if (
    Array.isArray(o.range) &&
    o.range.length === 2 &&
    o.range.every((x) => typeof x === 'string' && isSafe(x))
  ) {
    return `${o.range[0] as string}-${o.range[1] as string}`;
  }
  return null;
}
