import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForAsync } from './daemon-tools.js';
import { ROOT } from './harness.js';

/**
 * A real systemd as PID 1 of a throwaway container (systemd-box.sh says how the host is kept
 * out of it), and commands run inside it through nsenter. For the service tests: units started,
 * reloaded, restarted and stopped by systemd itself.
 */
const SCRIPT = join(ROOT, 'test/e2e/systemd-box.sh');
const SYSTEMD = '/lib/systemd/systemd';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Why a box cannot be made here, or null. */
export function boxMissing(): string | null {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync(SYSTEMD)) return `needs ${SYSTEMD} (Debian: systemd)`;
  for (const cmd of ['unshare', 'nsenter', 'setsid', 'systemctl', 'iptables']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) return `needs ${cmd}`;
  }
  if (!/\boverlay\b/.test(readFileSync('/proc/filesystems', 'utf8'))) return 'needs overlayfs';
  return null;
}

export class SystemdBox {
  private readonly scratch = mkdtempSync(join(tmpdir(), 'logjail-box-'));

  /** `share`: host directories shown read-only in the box at their own paths. */
  constructor(private readonly share: readonly string[] = []) {}

  private sh: ChildProcess | null = null;
  /** systemd's PID on the host. */
  private pid = 0;

  async boot(): Promise<void> {
    this.sh = spawn('/bin/sh', [SCRIPT, this.scratch, ...this.share], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.sh.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    const shPid = this.sh.pid!;
    await waitForAsync(
      () => {
        try {
          const child = Number(readFileSync(`/proc/${String(shPid)}/task/${String(shPid)}/children`, 'utf8').trim());
          if (child > 0 && readFileSync(`/proc/${String(child)}/comm`, 'utf8').trim() === 'systemd') this.pid = child;
        } catch {
          /* not there yet */
        }
        return this.pid > 0;
      },
      20_000,
      () => `systemd in the box: ${err}`,
    );
    // "running" or "degraded" (a unit of the host's that cannot run in a box): either is booted.
    // Until systemd has made its private socket, systemctl cannot connect at all.
    let last = '';
    await waitForAsync(
      () => {
        const r = this.run('systemctl is-system-running --wait', 60_000);
        last = r.stdout + r.stderr;
        return ['running', 'degraded'].includes(r.stdout.trim());
      },
      60_000,
      () => `box did not boot: ${last}${err}`,
    );
  }

  /**
   * `sh -c cmd` inside the box (its root, namespaces and a clean PATH), in a session of its own:
   * a process group is not confined by the PID namespace, so a `kill 0` in the box would
   * otherwise reach the test runner's whole group (it did, when a unit's MainPID read 0).
   */
  run(cmd: string, timeoutMs = 30_000): SpawnSyncReturns<string> {
    return spawnSync(
      'setsid',
      ['nsenter', '-t', String(this.pid), '-m', '-p', '-n', '-u', '-i', '-C', '-r', '-w', '/bin/sh', '-c', cmd],
      { encoding: 'utf8', timeout: timeoutMs, env: { PATH, LANG: 'C.UTF-8' }, cwd: '/' },
    );
  }

  /** Like run, but a non-zero exit throws with the command's output. Returns stdout. */
  ok(cmd: string, timeoutMs = 30_000): string {
    const r = this.run(cmd, timeoutMs);
    if (r.status !== 0) throw new Error(`in the box: ${cmd}: exit ${String(r.status)}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** `systemctl show -p NAME --value UNIT`. */
  prop(unit: string, name: string): string {
    return this.ok(`systemctl show -p ${name} --value ${unit}`).trim();
  }

  /** Ends the box (every process in it dies with its PID 1) and removes its cgroups. */
  async destroy(): Promise<void> {
    for (const pid of [this.pid, this.sh?.pid ?? 0]) {
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const groups = join(`${this.scratch}.cgroups`);
    if (existsSync(groups)) {
      const dirs = readFileSync(groups, 'utf8').split('\n').filter(Boolean);
      // a group can be removed once its last process is gone: deepest first, retried a while
      await waitForAsync(() => dirs.every((d) => removeTree(d)), 10_000, `removing ${dirs.join(', ')}`).catch(() => undefined);
      rmSync(groups, { force: true });
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

function removeTree(dir: string): boolean {
  if (!existsSync(dir)) return true;
  const r = spawnSync('find', [dir, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { encoding: 'utf8' });
  try {
    if (existsSync(dir)) rmdirSync(dir);
  } catch {
    return false;
  }
  return r.status === 0 || !existsSync(dir);
}
