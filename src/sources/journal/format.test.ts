import { describe, expect, it } from 'vitest';
import { formatJournalEntry } from './format.js';
import { shellSplit } from './shell-split.js';

describe('formatJournalEntry', () => {
  it('builds "<host> <ident>[<pid>]: <message>" with the journal time', () => {
    const r = formatJournalEntry({
      _HOSTNAME: 'web1',
      SYSLOG_IDENTIFIER: 'sshd',
      SYSLOG_PID: '4242',
      _COMM: 'sshd-session',
      _PID: '1',
      MESSAGE: 'Failed password for root from 192.0.2.7 port 22 ssh2',
      __REALTIME_TIMESTAMP: '1700000000123456',
    });
    expect(r.text).toBe('web1 sshd[4242]: Failed password for root from 192.0.2.7 port 22 ssh2');
    expect(r.time).toBeCloseTo(1700000000.123456, 6);
  });

  it('falls back to _COMM/_PID, decodes byte-array messages, escapes newlines', () => {
    const msg = Buffer.from('bad \xff byte\nsecond line', 'latin1');
    const r = formatJournalEntry({ _HOSTNAME: 'h', _COMM: 'dovecot', _PID: '77', MESSAGE: [...msg] });
    expect(r.text).toBe('h dovecot[77]: bad \ufffd byte\\nsecond line');
    expect(r.time).toBeUndefined();
  });

  it('adds the monotonic time to kernel entries and copes with missing fields', () => {
    const k = formatJournalEntry({
      _HOSTNAME: 'h',
      SYSLOG_IDENTIFIER: 'kernel',
      MESSAGE: 'oops',
      __MONOTONIC_TIMESTAMP: '12345678',
    });
    expect(k.text).toBe('h kernel: [   12.345678] oops');
    expect(formatJournalEntry({ MESSAGE: 'bare' }).text).toBe('bare');
    expect(formatJournalEntry({ _HOSTNAME: 'h', MESSAGE: 'x' }).text).toBe('h: x');
  });
});

describe('shellSplit', () => {
  it('splits journalmatch lines like a shell', () => {
    expect(shellSplit('_SYSTEMD_UNIT=sshd.service + _COMM=sshd')).toEqual([
      '_SYSTEMD_UNIT=sshd.service',
      '+',
      '_COMM=sshd',
    ]);
    expect(shellSplit(`MESSAGE='a b' "X=\\"q\\"" c\\ d ''`)).toEqual(['MESSAGE=a b', 'X="q"', 'c d', '']);
    expect(() => shellSplit("_COMM='open")).toThrow(/unterminated single quote/);
  });
});
