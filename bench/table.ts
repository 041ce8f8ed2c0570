/** One measured figure set and the plain-text table the bench prints. */
export interface Row {
  section: string;
  what: string;
  /** Lines (or items) the measurement covered. */
  lines: number;
  wall: number;
  /** CPU seconds of the measured process (NaN when unknown). */
  cpu: number;
  linesPerS: number;
  linesPerCpuS: number;
  rssMiB: number;
  /** Latency percentiles in ms, when the row is a latency measurement. */
  p50?: number;
  p99?: number;
  note: string;
}

const fmt = (v: number | undefined, digits = 0): string =>
  v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
const big = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');

/** A row for a measurement that could not run: the last lines of its error as the note. */
export function failed(section: string, what: string, why: string): Row {
  return {
    section,
    what,
    lines: NaN,
    wall: NaN,
    cpu: NaN,
    linesPerS: NaN,
    linesPerCpuS: NaN,
    rssMiB: NaN,
    note: `FAILED: ${why.trim().split('\n').slice(-2).join(' | ')}`,
  };
}

export function printTable(rows: readonly Row[], out: (s: string) => void): void {
  const head = [
    'section',
    'what',
    'items',
    'wall s',
    'cpu s',
    'items/s',
    'items/cpu-s',
    'RSS MiB',
    'p50 ms',
    'p99 ms',
    'note',
  ];
  const body = rows.map((r) => [
    r.section,
    r.what,
    big(r.lines),
    fmt(r.wall, 2),
    fmt(r.cpu, 2),
    big(r.linesPerS),
    big(r.linesPerCpuS),
    fmt(r.rssMiB, 0),
    fmt(r.p50, 1),
    fmt(r.p99, 1),
    r.note,
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.filter(() => i < 10).map((b) => b[i]!.length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ');
  out(line(head));
  out(
    widths
      .slice(0, 10)
      .map((w) => '-'.repeat(w))
      .join('  ') + '  ----',
  );
  for (const b of body) out(line(b));
}
