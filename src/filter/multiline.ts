/**
 * The line window of old-style multi-line filters (`maxlines > 1`): regexes run on the
 * last N lines joined by "\n" (with a trailing "\n"); after a match the lines it covered
 * leave the window, except lines only skipped over by `<SKIPLINES>`.
 */

/** One buffered line: `text` is what regexes see (date cut out), `orig` the full line. */
export interface BufferedLine {
  readonly text: string;
  readonly orig: string;
}

export function joinLines(lines: readonly BufferedLine[]): string {
  let s = '';
  for (const l of lines) s += l.text + '\n';
  return s;
}

function countNewlines(s: string, end: number): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1 && i < end; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Lines captured by the `skiplinesN` groups, in order. */
export function skippedLines(groups: Readonly<Record<string, string | undefined>>, skipNames: readonly string[]): string[] {
  let s = '';
  for (const name of skipNames) s += groups[name] ?? '';
  if (s === '') return [];
  const out = s.split(/\r\n|\r|\n/);
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * Maps a match in `buf` back onto the original lines: the lines the match covers (minus
 * skipped ones) and the rest. `orgLines` may hold more lines than `buf` when content was
 * replaced; fail2ban maps by line counts all the same.
 */
export function splitByMatch(
  buf: string,
  index: number,
  end: number,
  orgLines: readonly BufferedLine[],
  skipped: readonly string[],
): { matched: BufferedLine[]; unmatched: BufferedLine[] } {
  if (orgLines.length <= 1) return { matched: orgLines.slice(), unmatched: [] };
  const lineStart = buf.lastIndexOf('\n', index) + 1;
  const from = end - 1 < 0 ? buf.length - 1 : end - 1;
  const nl = buf.indexOf('\n', from);
  const lineEnd = nl === -1 ? buf.length : nl + 1;
  const c1 = countNewlines(buf, lineStart);
  const c2 = countNewlines(buf, lineEnd);
  const matched = orgLines.slice(c1, c2);
  const unmatched = orgLines.slice(0, c1);
  let n = 0;
  for (const sk of skipped) {
    for (let m = 0; n + m < matched.length; m++) {
      if (matched[n + m]!.text === sk) {
        unmatched.push(matched.splice(n + m, 1)[0]!);
        n += m;
        break;
      }
    }
  }
  for (let i = c2; i < orgLines.length; i++) unmatched.push(orgLines[i]!);
  return { matched, unmatched };
}
