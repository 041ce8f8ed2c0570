/**
 * Regex tool throughput and memory: `logjail regex` in report mode on generated logs, with the
 * stock filters of the corpus and our shipped ones, and Debian's fail2ban-regex on the same file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GenLog } from './logs.js';
import { corpusConfig } from './logs.js';
import type { Row } from './table.js';
import { CLI, measure, NODE_FLAGS, ROOT, which, type RunStats } from './util.js';

/** 2024-12-31: genlog's default 2024 dates read as 2024 whatever today is. */
const NOW = '1735603200';

function linesOf(report: string): string {
  return /^Lines: .*$/m.exec(report)?.[0] ?? '(no report)';
}

function row(section: string, what: string, log: GenLog, r: RunStats, note: string): Row {
  const complete = r.code === 0 && !r.timedOut;
  return {
    section,
    what,
    lines: log.lines,
    wall: r.wall,
    cpu: r.cpu,
    linesPerS: complete ? log.lines / r.wall : NaN,
    linesPerCpuS: complete ? log.lines / r.cpu : NaN,
    rssMiB: r.rssMiB,
    note: complete
      ? note
      : r.timedOut
        ? 'TIMEOUT'
        : `exit ${String(r.code)}: ${r.stderr.trim().split('\n').pop() ?? ''}`,
  };
}

export async function benchRegexTool(
  logs: GenLog[],
  opts: { timeoutS: number; fail2ban: boolean },
): Promise<Row[]> {
  const rows: Row[] = [];
  const corpus = corpusConfig();
  const ours = join(ROOT, 'config');
  const f2b =
    opts.fail2ban && which('fail2ban-regex') && existsSync('/etc/fail2ban/filter.d')
      ? 'fail2ban-regex'
      : null;
  const sshdLog = logs.find((l) => !l.path.includes('dovecot'));
  if (sshdLog) {
    // for scale: what one Node thread does per line with almost no work
    const r = await measure(process.execPath, [...NODE_FLAGS, join(ROOT, 'dist/bench/floor.js'), sshdLog.path], opts.timeoutS);
    rows.push(row('regex tool', 'floor: read + split + one regex per line (no filter)', sshdLog, r, `${r.stdout.trim()} lines matched`));
  }
  for (const log of logs) {
    const filter = log.path.includes('dovecot') ? 'dovecot' : 'sshd';
    const ourRows: Row[] = [];
    for (const [label, cfg] of [
      ['corpus', corpus],
      ['shipped', ours],
    ] as const) {
      if (!cfg || !existsSync(join(cfg, 'filter.d', `${filter}.conf`))) continue;
      const r = await measure(
        process.execPath,
        [...NODE_FLAGS, CLI, 'regex', '-c', cfg, '--now', NOW, log.path, filter],
        opts.timeoutS,
      );
      const x = row('regex tool', `logjail regex ${filter} (${label} filter)`, log, r, linesOf(r.stdout));
      ourRows.push(x);
      rows.push(x);
    }
    if (f2b) {
      const r = await measure(f2b, ['-c', '/etc/fail2ban', log.path, filter], opts.timeoutS);
      const x = row('regex tool', `fail2ban-regex ${filter} (Debian)`, log, r, linesOf(r.stdout));
      const mine = ourRows[0];
      if (mine && Number.isFinite(x.linesPerS) && Number.isFinite(mine.linesPerS)) {
        x.note += ` | logjail ×${(mine.linesPerS / x.linesPerS).toFixed(1)} lines/s, ×${(mine.linesPerCpuS / x.linesPerCpuS).toFixed(1)} per CPU-s, RSS ÷${(x.rssMiB / mine.rssMiB).toFixed(1)}`;
      }
      rows.push(x);
    }
  }
  return rows;
}
