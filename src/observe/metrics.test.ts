import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('counts per jail through live objects and add(), and totals them in a snapshot', () => {
    let t = 1000;
    const m = new Metrics(() => t);
    const sshd = m.jail('sshd');
    sshd.linesRead += 10;
    sshd.failures++;
    m.add('sshd', 'bans');
    m.add('dovecot', 'linesRead', 5);
    m.add('dovecot', 'unbans', 2);
    const snap = m.snapshot();
    expect(snap).toEqual({
      since: 1000,
      jails: {
        dovecot: { linesRead: 5, failures: 0, bans: 0, unbans: 2 },
        sshd: { linesRead: 10, failures: 1, bans: 1, unbans: 0 },
      },
      totals: { linesRead: 15, failures: 1, bans: 1, unbans: 2 },
    });
    expect(Object.keys(snap.jails)).toEqual(['dovecot', 'sshd']);
    // a snapshot is a copy
    sshd.linesRead++;
    expect(snap.jails.sshd?.linesRead).toBe(10);
    expect(m.jail('sshd')).toBe(sshd);

    m.remove('dovecot');
    expect(Object.keys(m.snapshot().jails)).toEqual(['sshd']);
    t = 2000;
    m.reset();
    expect(m.snapshot()).toEqual({
      since: 2000,
      jails: {},
      totals: { linesRead: 0, failures: 0, bans: 0, unbans: 0 },
    });
  });

  it('renders Prometheus text with escaped jail labels', () => {
    const m = new Metrics(() => 0);
    m.add('ss"h\\d', 'bans', 3);
    const text = m.toPrometheus();
    expect(text).toContain('# TYPE logjail_bans_total counter\nlogjail_bans_total{jail="ss\\"h\\\\d"} 3\n');
    expect(text.split('\n').filter((l) => l.startsWith('# TYPE'))).toHaveLength(4);
  });
});
