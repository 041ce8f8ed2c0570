import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built, ROOT, waitFor } from './harness.js';
import { LAB, Lab, labUnavailable } from './lab/lab.js';
import { LabDaemon } from './lab/lab-daemon.js';

/**
 * Scenario B: the sshd jail with the set-based nftables action against real OpenSSH, plus a
 * mail action; hostile user names sent by the attacker must stay data all the way.
 */
const why =
  labUnavailable() ??
  (built() ? null : 'run `npm run build` first') ??
  (existsSync('/usr/bin/mail') ? null : 'no mail (mailutils)');
const DIR = '/tmp/ljlab-ssh';
const SMTP_PORT = 2526;
// Relative marker names: ssh cuts user names at '/'. The daemon (and so every action) runs
// with DIR as its working directory, where the markers would appear.
const MARK = 'lj-pwned';

describe.skipIf(why !== null)(
  `sshd + nftables (set) + mail, against real OpenSSH${why === null ? '' : ` (skipped: ${why})`}`,
  () => {
    const lab = new Lab(DIR, 'ljssh');
    const conf = join(DIR, 'etc-logjail');
    const run = join(DIR, 'lj');
    const daemon = new LabDaemon(lab, conf, DIR);
    const client = (...args: string[]): { status: number | null; stdout: string } => daemon.client(...args);
    const inSet = (ip: string): boolean => {
      try {
        return lab.execSrv(['nft', 'list', 'set', 'inet', 'f2b-table', 'addr-set-sshd']).includes(ip);
      } catch {
        return false;
      }
    };
    // No spaces or slashes: ssh would cut the name there; ${IFS} still makes each one a
    // working command if any shell ever evaluated it.
    const hostile = [
      '$(touch${IFS}' + MARK + '-1)',
      '`touch${IFS}' + MARK + '-2`',
      ';touch${IFS}' + MARK + '-3;',
      "';touch${IFS}" + MARK + "-4;'",
      '~!touch${IFS}' + MARK + '-5',
    ];

    beforeAll(async () => {
      rmSync(DIR, { recursive: true, force: true });
      lab.up();
      cpSync(join(ROOT, 'config'), conf, { recursive: true });
      mkdirSync(run, { recursive: true });
      writeFileSync(
        join(conf, 'fail2ban.local'),
        `[Definition]\nsocket = ${run}/lj.sock\npidfile = ${run}/lj.pid\ndbfile = ${run}/lj.sqlite3\nlogtarget = ${run}/logjail.log\n`,
      );
      writeFileSync(
        join(conf, 'jail.local'),
        `[sshd]
enabled   = true
logpath   = ${lab.authlog}
maxretry  = ${hostile.length * 2 + 1}
banaction = nftables-multiport
action    = %(action_)s
            mail-whois[name=sshd, dest=root, sender=fail2ban@example.com]
            sendmail-whois-lines[name=sshd, dest=root, sender=fail2ban@example.com, logpath=${lab.authlog}]
`,
      );
      await lab.startMail(SMTP_PORT);
      await daemon.start();
    }, 120_000);

    afterAll(() => {
      daemon.kill();
      lab.down();
    });

    it('bans the attacker in the nft set after hostile user names, and nothing runs', async () => {
      for (const user of hostile)
        expect(lab.sshLogin('att', user, 'x').out).toMatch(/Permission denied|Connection closed/);
      expect(inSet(LAB.att)).toBe(false);
      expect(lab.sshLogin('att', LAB.sshUser, LAB.wrongPass).out).toContain('Permission denied');
      await waitFor(() => inSet(LAB.att), 5000, 'attacker in the nft set');
      expect(lab.probe('att', 22)).toBe(false);
      expect(lab.probe('ok', 22)).toBe(true);
      expect(lab.sshLogin('ok', LAB.sshUser, LAB.sshPass, 'echo ok-login').out).toContain('ok-login');
      // the user names reached the log verbatim, and the mails went out
      const log = readFileSync(lab.authlog, 'utf8');
      for (const u of hostile) expect(log).toContain(`invalid user ${u} from`);
      await waitFor(() => readdirSync(join(DIR, 'mails')).length >= 4, 20_000, 'start and ban mails');
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 1; i <= 5; i++) expect(existsSync(join(DIR, `${MARK}-${i}`))).toBe(false);
      expect(readdirSync(DIR).filter((f) => f.startsWith(MARK))).toEqual([]);
      const bodies = readdirSync(join(DIR, 'mails')).map((f) => readFileSync(join(DIR, 'mails', f), 'utf8'));
      expect(bodies.some((b) => b.includes(`banned ${LAB.att}`))).toBe(true);
    });

    it('unban through the client restores access', () => {
      expect(client('set', 'sshd', 'unbanip', LAB.att).stdout).toBe('1\n');
      expect(inSet(LAB.att)).toBe(false);
      expect(lab.probe('att', 22)).toBe(true);
    });
  },
);
