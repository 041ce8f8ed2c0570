/**
 * `npm run bench`: measures, prints a table, asserts nothing.
 *
 *   node dist/bench/run.js [--lines N] [--only regex,daemon,latency,firewall] [--no-fail2ban]
 *                          [--latency-n N] [--tracked N] [--fw-n N] [--timeout S] [--f2b-timeout S]
 *
 * `--only latency` runs just the daemon's ban-latency and tracked-address RSS rows (`daemon`
 * includes them, plus catch-up).
 *
 * Logs come from shared/bench/genlog.py (cached in /tmp/logjail-bench-cache). The machine may
 * be shared: besides wall figures the table gives CPU seconds of the measured process, and the
 * load average at start and end.
 */
import { benchRegexTool } from './regex-tool.js';
import { catchUp, haveFail2banServer, latencyAndMemory } from './daemon.js';
import { benchFirewall, canFirewall } from './firewall.js';
import { genLog, genlogScript, type GenLog } from './logs.js';
import { failed, printTable, type Row } from './table.js';
import { load } from './util.js';

interface Opts {
  lines: number;
  only: Set<string>;
  fail2ban: boolean;
  latencyN: number;
  tracked: number;
  fwN: number;
  timeoutS: number;
  f2bTimeoutS: number;
}

function parse(argv: string[]): Opts {
  const o: Opts = {
    lines: 1_000_000,
    only: new Set(['regex', 'daemon', 'firewall']),
    fail2ban: true,
    latencyN: 200,
    tracked: 100_000,
    fwN: 100_000,
    timeoutS: 600,
    f2bTimeoutS: 120,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a}: expected a number`);
      return v;
    };
    if (a === '--lines') o.lines = num();
    else if (a === '--only') o.only = new Set((argv[++i] ?? '').split(','));
    else if (a === '--no-fail2ban') o.fail2ban = false;
    else if (a === '--latency-n') o.latencyN = num();
    else if (a === '--tracked') o.tracked = num();
    else if (a === '--fw-n') o.fwN = num();
    else if (a === '--timeout') o.timeoutS = num();
    else if (a === '--f2b-timeout') o.f2bTimeoutS = num();
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const say = (s: string): void => {
    process.stdout.write(`${s}\n`);
  };
  const loadStart = load();
  const rows: Row[] = [];
  const show = (r: Row[]): void => {
    for (const x of r) {
      rows.push(x);
      process.stderr.write(`  done: ${x.what}\n`);
    }
  };
  if (!genlogScript()) {
    say('genlog.py not found: set LOGJAIL_SHARED to the shared/ folder');
    return;
  }
  // generated (or read from the cache) only for the sections that replay it
  const sshd = (): GenLog => genLog('sshd', o.lines);
  const f2bServer = o.fail2ban && haveFail2banServer();

  if (o.only.has('regex')) {
    const dovecot = genLog('dovecot', o.lines);
    show(await benchRegexTool([sshd(), dovecot], { timeoutS: o.timeoutS, fail2ban: o.fail2ban }));
  }
  if (o.only.has('daemon')) {
    show([await catchUp('logjail', sshd(), o.timeoutS)]);
    if (f2bServer) show([await catchUp('fail2ban', sshd(), o.f2bTimeoutS)]);
  }
  if (o.only.has('daemon') || o.only.has('latency')) {
    show(await latencyAndMemory('logjail', o.latencyN, o.tracked, 120));
    if (f2bServer) show(await latencyAndMemory('fail2ban', o.latencyN, 0, o.f2bTimeoutS));
    ratio(rows, 'catch-up', 'linesPerS', 'lines/s');
    ratio(rows, 'append → ban', 'p50', 'p50');
  }
  if (o.only.has('firewall')) {
    if (canFirewall()) show(await benchFirewall(o.fwN, o.timeoutS));
    else show([failed('firewall', 'nftables/ipset mass ban', 'skipped: needs root with ip, nft and ipset')]);
  }

  say('');
  say(
    `logjail bench — ${new Date().toISOString()} — node ${process.version} — load average ${loadStart} at start, ${load()} at end`,
  );
  say(
    'items = lines (regex tool, daemon), bans (latency, firewall); cpu s = CPU time of the measured process',
  );
  say('');
  printTable(rows, say);
  say('');
  say(
    'Targets: regex tool ≥ 1.5M lines/s, ≤ 100 MiB RSS; daemon catch-up ≥ 500k lines/s; ban latency p50 ≤ 10 ms, p99 ≤ 50 ms;',
  );
  say('         RSS with 100k tracked addresses ≤ 100 MiB; firewall 100k bans and restore ≤ 10 s each.');
}

/** Appends "logjail ×N" to the fail2ban row of a pair. */
function ratio(rows: Row[], key: string, field: 'linesPerS' | 'p50', label: string): void {
  const ours = rows.find((r) => r.what.startsWith('logjail') && r.what.includes(key));
  const theirs = rows.find((r) => r.what.startsWith('fail2ban') && r.what.includes(key));
  const a = ours?.[field];
  const b = theirs?.[field];
  if (!theirs || a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || a === 0)
    return;
  theirs.note += ` | logjail ×${(field === 'p50' ? b / a : a / b).toFixed(1)} (${label})`;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
