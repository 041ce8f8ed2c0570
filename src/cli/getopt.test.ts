import { describe, expect, it } from 'vitest';
import { getopt, GetoptError } from './getopt.js';

const spec = { short: 'c:s:xfv', long: ['conf=', 'logtarget=', 'dp', 'help'] };

describe('getopt (Python getopt semantics)', () => {
  it('clusters short flags, attaches or takes values, stops at the command', () => {
    expect(getopt(['-xf', 'start'], spec)).toEqual({ opts: [['-x', null], ['-f', null]], rest: ['start'] });
    expect(getopt(['-vvv', '-c/etc/fail2ban', '-s', 'S', 'status', '-x'], spec)).toEqual({
      opts: [['-v', null], ['-v', null], ['-v', null], ['-c', '/etc/fail2ban'], ['-s', 'S']],
      rest: ['status', '-x'],
    });
    expect(getopt(['-xc', 'DIR'], spec).opts).toEqual([['-x', null], ['-c', 'DIR']]);
  });

  it('long options with = or the next word; -- ends the options', () => {
    expect(getopt(['--logtarget=sysout', '--conf', 'D', '--dp', '--', '-f'], spec)).toEqual({
      opts: [['--logtarget', 'sysout'], ['--conf', 'D'], ['--dp', null]],
      rest: ['-f'],
    });
  });

  it('names what is wrong', () => {
    expect(() => getopt(['-z'], spec)).toThrow(new GetoptError('option -z not recognized'));
    expect(() => getopt(['-c'], spec)).toThrow('option -c requires argument');
    expect(() => getopt(['--conf'], spec)).toThrow('option --conf requires argument');
    expect(() => getopt(['--help=1'], spec)).toThrow('option --help must not have an argument');
    expect(() => getopt(['--nope'], spec)).toThrow('option --nope not recognized');
  });
});
