import type { FullConfig } from '../config/types.js';
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
