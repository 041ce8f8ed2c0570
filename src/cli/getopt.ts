/**
 * Command-line options as fail2ban's tools take them (Python's getopt): short options cluster
 * (`-xf`, `-vvv`), a short option's value may be attached (`-c/etc/fail2ban`) or the next word,
 * a long option's value follows `=` or is the next word, `--` ends the options, and the first
 * word that is not an option ends them too (the rest is the command). Debian's fail2ban.service
 * runs `fail2ban-server -xf start`, and `--logtarget=sysout` is documented there.
 */
export interface OptSpec {
  /** Short letters; a letter followed by ':' takes a value (e.g. 'c:s:p:xfbdtivqhV'). */
  short: string;
  /** Long names; a trailing '=' takes a value (e.g. ['conf=', 'dp', 'help']). */
  long: readonly string[];
}

/** The options fail2ban-client and fail2ban-server share (each tool adds its own). */
export const FAIL2BAN_TOOL_OPTS: OptSpec = {
  short: 'c:s:p:dtivqxbfhV',
  long: [
    'conf=', 'socket=', 'pidfile=', 'pname=', 'loglevel=', 'logtarget=', 'syslogsocket=', 'dp', 'dump-pretty',
    'test', 'async', 'timeout=', 'str2sec=', 'help', 'version',
  ],
};

export interface ParsedOpts {
  /** [option as written without its value ('-c', '--conf'), its value or null for a flag] in order. */
  opts: [string, string | null][];
  /** The words after the options. */
  rest: string[];
}

export class GetoptError extends Error {}

export function getopt(argv: readonly string[], spec: OptSpec): ParsedOpts {
  const opts: [string, string | null][] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (spec.long.includes(name)) {
        if (eq >= 0) throw new GetoptError(`option --${name} must not have an argument`);
        opts.push([`--${name}`, null]);
      } else if (spec.long.includes(`${name}=`)) {
        if (eq >= 0) opts.push([`--${name}`, a.slice(eq + 1)]);
        else if (i + 1 < argv.length) opts.push([`--${name}`, argv[++i]!]);
        else throw new GetoptError(`option --${name} requires argument`);
      } else throw new GetoptError(`option --${name} not recognized`);
      continue;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (let k = 1; k < a.length; k++) {
      const c = a[k]!;
      const at = spec.short.indexOf(c);
      if (at < 0 || c === ':') throw new GetoptError(`option -${c} not recognized`);
      if (spec.short[at + 1] !== ':') {
        opts.push([`-${c}`, null]);
        continue;
      }
      if (k + 1 < a.length) opts.push([`-${c}`, a.slice(k + 1)]);
      else if (i + 1 < argv.length) opts.push([`-${c}`, argv[++i]!]);
      else throw new GetoptError(`option -${c} requires argument`);
      break;
    }
  }
  return { opts, rest: argv.slice(i) };
}
