import { ConfigError } from '../../core/errors.js';

/**
 * Split a line into words like a POSIX shell (Python's shlex.split): whitespace separates,
 * '…' is literal, "…" allows \" \\ \$ \` escapes, a backslash outside quotes escapes the next char.
 */
export function shellSplit(line: string, what = 'journalmatch'): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ConfigError(`${what}: unterminated single quote in '${line}'`);
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        const d = line[j]!;
        if (d === '\\' && j + 1 < line.length && '"\\$`\n'.includes(line[j + 1]!)) {
          cur += line[j + 1]!;
          j++;
        } else cur += d;
      }
      if (j >= line.length) throw new ConfigError(`${what}: unterminated double quote in '${line}'`);
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 < line.length) cur += line[++i]!;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}
