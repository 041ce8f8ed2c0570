import type { TimestampWarning } from '../filter/engine.js';
import { pyRepr } from '../control/pyrepr.js';
import { sec2str } from '../jail/time-value.js';

/** fail2ban's texts for a timestamp warning, each logged as a `[jail] …` WARNING line. */
export function timestampMessages(w: TimestampWarning): string[] {
  const check = 'Please check a jail for a timing issue. Line with odd timestamp: ';
  switch (w.kind) {
    case 'odd':
      return [
        `Detected a log entry ${sec2str(Math.abs(w.delta))} ${w.delta < 0 ? 'before' : 'after'} the current time in operation mode. ` +
          `This looks like a ${w.delta >= -3300 && w.delta < 0 ? 'latency' : 'timezone'} problem. Treating such entries as if they just happened.`,
        check + w.line,
      ];
    case 'old':
      return [
        `Ignoring all log entries older than ${String(w.findtime)}s; these are probably messages generated while fail2ban was not running.`,
        check + w.line,
      ];
    case 'none':
      return [
        `Found a match but no valid date/time found for ${pyRepr(w.timeText)}.`,
        `Match without a timestamp: ${w.matched.join('\n')}`,
        'Please try setting a custom date pattern (see man page jail.conf(5)).',
      ];
  }
}
