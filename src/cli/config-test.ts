import { readConfig } from '../config/index.js';
import type { FullConfig } from '../config/types.js';
import { configStream, formatStream } from '../control/config-stream.js';
import { systemClock } from '../core/clock.js';
import { Filter } from '../filter/filter.js';

/**
 * `fail2ban-client -t`: besides reading the config, compile what the server compiles when it
 * starts the enabled jails (regexes, failure-id groups, date patterns), so a config the server
 * would refuse does not pass the test. Nothing is started.
 */
export function compileJails(cfg: FullConfig): void {
  for (const def of cfg.jails) {
    if (!def.enabled || !def.filter) continue;
    new Filter(def.filter, {
      clock: systemClock,
      mode: 'live',
      usedns: def.usedns,
      logtimezone: def.logtimezone,
      findtime: def.findtime,
    });
  }
}

export interface CheckOptions {
  test: boolean;
  dump: boolean;
  loglevel: string | null;
  logtarget: string | null;
  /** fail2ban's reader warnings, as its client logs them. */
  warn: (msg: string, logger: 'configreader' | 'jailreader') => void;
}

/**
 * `-t` and `-d` of fail2ban-client and fail2ban-server: -t compiles the jails and converts the
 * configuration as -d does (warning as it does), printing nothing of it; -d prints the stream.
 */
export async function testOrDump(conf: string, o: CheckOptions): Promise<void> {
  const cfg = readConfig(conf);
  if (o.test) compileJails(cfg);
  const stream = await configStream(cfg, { loglevel: o.loglevel, logtarget: o.logtarget, warn: o.warn });
  if (o.dump) process.stdout.write(formatStream(stream));
  if (o.test) process.stdout.write('OK: configuration test is successful\n');
}
