import { describe, expect, it } from 'vitest';
import { emptyFilter } from '../config/filter-reader.js';
import { stubJail } from '../config/jail-reader.js';
import type { ActionDef, JailDef } from '../config/types.js';
import { CommandError } from '../control/errors.js';
import { systemClock } from '../core/clock.js';
import { Filter } from '../filter/filter.js';
import {
  actionProperties,
  actionProperty,
  commandError,
  delLogpath,
  LISTED_METHODS,
  editFilter,
  editJournalmatch,
  methodCall,
  newAction,
  setActionProperty,
} from './jail-edit.js';
import { datePatternView } from './jail-runtime.js';

function jail(over: Partial<JailDef> = {}): JailDef {
  return {
    ...stubJail('j', { file: 'jail.conf', line: 1 }),
    enabled: true,
    filter: { ...emptyFilter('j'), failregex: [{ regex: 'a <HOST>', where: { file: 'f.conf', line: 3 } }] },
    logpath: [{ pattern: '/l/a.log', position: 'head' }],
    maxretry: 3,
    maxmatches: 3,
    findtime: 600,
    bantime: 600,
    ...over,
  };
}

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CommandError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('filter edits', () => {
  it('adds and deletes regexes like a Python list (negative index from the end, out of range ignored)', () => {
    const d0 = jail();
    const d1 = editFilter(d0, 'addfailregex', ['b <HOST>']).def;
    expect(d1.filter!.failregex.map((r) => r.regex)).toEqual(['a <HOST>', 'b <HOST>']);
    expect(d0.filter!.failregex).toHaveLength(1); // the running definition is untouched
    expect(editFilter(d1, 'delfailregex', ['-1']).def.filter!.failregex.map((r) => r.regex)).toEqual([
      'a <HOST>',
    ]);
    const out = editFilter(d1, 'delfailregex', ['5']);
    expect(out.def).toBe(d1);
    expect(out.warning).toMatch(/Index 5 is not valid/);
    expect(errorOf(() => editFilter(d1, 'delfailregex', ['x']))).toBe(
      "invalid literal for int() with base 10: 'x'",
    );
    // no value: fail2ban's IndexError (the client prints "Sorry but the command is invalid")
    expect(errorOf(() => editFilter(d1, 'addfailregex', []))).toBe('list index out of range');
    // more values: fail2ban 1.0.2 takes the first
    expect(editFilter(d1, 'addfailregex', ['a <HOST>', 'b']).def.filter!.failregex.at(-1)).toMatchObject({
      regex: 'a <HOST>',
    });
  });

  it('gives a filterless jail an empty filter to edit', () => {
    const d = editFilter(jail({ filter: null }), 'addignoreregex', ['^x']).def;
    expect(d.filter).toMatchObject({ name: 'j', failregex: [], ignoreregex: [{ regex: '^x' }] });
  });

  it('checks maxlines and corrects usedns as fail2ban does', () => {
    expect(editFilter(jail(), 'maxlines', [' 4 ']).def.filter!.maxlines).toBe(4);
    expect(errorOf(() => editFilter(jail(), 'maxlines', ['0']))).toBe(
      'maxlines must be integer greater than zero',
    );
    const u = editFilter(jail(), 'usedns', ['Maybe']);
    expect(u.def.usedns).toBe('no');
    expect(u.warning).toBe("Incorrect value 'Maybe' specified for usedns. Using safe 'no'");
    expect(editFilter(jail(), 'usedns', ['RAW']).def.usedns).toBe('raw');
    expect(editFilter(jail(), 'prefregex', ['']).def.filter!.prefregex).toBeNull();
    expect(editFilter(jail(), 'datepattern', ['  ']).def.filter!.datepattern).toBeNull();
    expect(editFilter(jail(), 'logtimezone', ['UTC']).def.logtimezone).toBe('UTC');
  });
});

describe('commandError', () => {
  it("words a regex given by command that does not compile as fail2ban 1.0.2 (no file:line)", () => {
    const d = editFilter(jail(), 'addfailregex', ['^Broken (regex <HOST>$']).def;
    let e: unknown;
    try {
      new Filter(d.filter!, { clock: systemClock, mode: 'live' });
    } catch (x) {
      e = x;
    }
    expect(commandError(e).message).toMatch(
      /^Unable to compile regular expression '\^Broken \(regex .*\$':\nmissing \), unterminated subpattern at position 8$/,
    );
  });
});

describe('log path and journal edits', () => {
  it('drops a literal path, or a file that came from a glob by listing the others', () => {
    const d = jail({
      logpath: [
        { pattern: '/l/a.log', position: 'head' },
        { pattern: '/l/b*.log', position: 'tail' },
      ],
    });
    expect(delLogpath(d, ['/l/a.log', '/l/b1.log'], ['/l/a.log'])).toEqual([
      { pattern: '/l/b*.log', position: 'tail' },
    ]);
    expect(delLogpath(d, ['/l/a.log', '/l/b1.log', '/l/b2.log'], ['/l/b1.log'])).toEqual([
      { pattern: '/l/a.log', position: 'head' },
      { pattern: '/l/b2.log', position: 'head' },
    ]);
    expect(delLogpath(d, ['/l/a.log'], ['/l/none.log'])).toBeNull();
  });

  it('keeps journal matches as groups; deleting an unknown one is an error', () => {
    const d = editJournalmatch(jail(), 'addjournalmatch', ['_COMM=a', '+', '_COMM=b']);
    expect(d.filter!.journalmatch).toEqual(['_COMM=a + _COMM=b']);
    expect(errorOf(() => editJournalmatch(d, 'deljournalmatch', ['_COMM=c']))).toBe(
      "Match '_COMM=c' not found",
    );
    expect(editJournalmatch(d, 'deljournalmatch', ['_COMM=a', '+', '_COMM=b']).filter!.journalmatch).toEqual(
      [],
    );
  });
});

describe('action properties', () => {
  const def: ActionDef = {
    actname: 'a',
    file: 'a',
    options: { actionban: 'run <name> <ip>', name: 'j', cmd: 'x', 'known/cmd': 'x' },
    conditional: { inet6: { cmd: 'x6' } },
    initKeys: ['name', 'actname', 'cmd', 'cmd?family=inet6'],
    commands: { actionban: 'run j <ip>' },
  };

  it('shows commands as substituted, other properties as given, and fail2ban defaults', () => {
    expect(actionProperty(def, 'actionban')).toBe('run j <ip>');
    expect(actionProperty(def, 'cmd')).toBe('x');
    expect(actionProperty(def, 'cmd?family=inet6')).toBe('x6');
    expect(actionProperty(def, 'actionunban')).toBe('');
    expect(actionProperty(def, 'timeout')).toBe('60');
    expect(errorOf(() => actionProperty(def, 'known/cmd'))).toBe(
      "'CommandAction' object has no attribute 'known/cmd'",
    );
    expect(actionProperties(def)).toContain('cmd');
    expect(actionProperties(def)).not.toContain('known/cmd');
  });

  it('stores a set value as given (timeout in seconds) without touching the old definition', () => {
    const t = setActionProperty(def, 'timeout', '2m');
    expect(t.value).toBe('120');
    expect(t.def.options.timeout).toBe('120');
    expect(def.options.timeout).toBeUndefined();
    expect(() => setActionProperty(def, 'timeout', 'abc')).toThrow(
      "bad time value 'abc' for 'timeout' (expected seconds or e.g. 10m, 1h, 1d12h)",
    );
    const b = setActionProperty(def, 'actionban', 'other <ip>');
    expect(actionProperty(b.def, 'actionban')).toBe('other <ip>');
    expect(b.def.options.actionban).toBe('other <ip>');
    const c = setActionProperty(def, 'cmd?family=inet6', 'y6');
    expect(c.def.conditional.inet6).toEqual({ cmd: 'y6' });
    expect(newAction('n', [])).toMatchObject({ actname: 'n', options: {}, commands: {} });
    // fail2ban looks for the file first: a missing one is its OSError, logged as (errno, text)
    expect(errorOf(() => newAction('n', ['/nonexistent/x.py', '{}']))).toBe(
      "[Errno 2] No such file or directory: '/nonexistent/x.py'",
    );
    expect(() => newAction('n', ['/nonexistent/x.py'])).toThrow(
      expect.objectContaining({ args: "(2, 'No such file or directory')" }),
    );
    expect(errorOf(() => newAction('n', [process.execPath, '{}']))).toMatch(/Python actions/);
  });

  it("lists properties and methods as fail2ban 1.0.2 does (its helpers too; no actname for an added action)", () => {
    expect(actionProperties(def)).toEqual([
      'ESCAPE_CRE', 'ESCAPE_VN_CRE', 'actionban', 'actioncheck', 'actionflush', 'actionreban', 'actionreload',
      'actionrepair', 'actionstart', 'actionstop', 'actionunban', 'actname', 'banEpoch', 'cmd', 'cmd?family=inet6', 'name',
      'timeout',
    ]);
    expect(actionProperties(newAction('n', []))).not.toContain('actname');
    expect(LISTED_METHODS.join(', ')).toBe(
      'ban, clearAllParams, consistencyCheck, escapeTag, executeCmd, flush, invalidateBanEpoch, prolong, reban, reload, replaceDynamicTags, replaceTag, start, stop, unban',
    );
  });
});

describe('get datepattern', () => {
  it("names the pattern by the detector's template, as fail2ban 1.0.2 prints it", () => {
    const ymd = 'Year-Month-Day 24hour:Minute:Second';
    expect(datePatternView('%Y-%m-%d %H:%M:%S', [ymd])).toEqual(['%Y-%m-%d %H:%M:%S', ymd]);
    expect(datePatternView('Epoch', ['Epoch'])).toEqual([null, 'Epoch']);
    expect(datePatternView('{NONE}', ['^'])).toEqual(['{UNB}^', '^']);
    expect(datePatternView('{^LN-BEG}', ['a', 'b', 'c'])).toEqual([null, 'Default Detectors']);
    expect(datePatternView(null)).toEqual([null, 'Default Detectors']);
  });
});

describe('methodCall (set JAIL action ACT METHOD [JSON])', () => {
  const base = { jail: 'j', bantime: 600, now: 1000 };

  it('methods without arguments take none; ban-type methods build the ticket from aInfo', () => {
    expect(methodCall('start', [], base)).toBeNull();
    expect(methodCall('flush', ['{}'], base)).toBeNull();
    expect(methodCall('ban', ['{"aInfo": {"ip": "2001:DB8:0:0::1", "failures": 3, "matches": ["a", 2]}}'], base)).toEqual({
      jail: 'j',
      id: '2001:db8::1',
      ip: '2001:db8::1',
      time: 1000,
      bantime: 600,
      banCount: 0,
      failures: 3,
      matches: ['a', '2'],
      fields: {},
      restored: false,
    });
    expect(methodCall('unban', ['{"aInfo": {"ip": "host.example"}}'], base)).toMatchObject({ id: 'host.example', ip: null });
  });

  it('rejects arguments as Python would', () => {
    expect(errorOf(() => methodCall('ban', [], base))).toBe("CommandAction.ban() missing 1 required positional argument: 'aInfo'");
    expect(errorOf(() => methodCall('stop', ['{"aInfo": {}}'], base))).toBe("CommandAction.stop() got an unexpected keyword argument 'aInfo'");
    expect(errorOf(() => methodCall('start', ['[1]'], base))).toBe(
      'fail2ban.server.action.CommandAction.start() argument after ** must be a mapping, not list',
    );
    expect(errorOf(() => methodCall('ban', ['not json'], base))).toBe('Expecting value: line 1 column 1 (char 0)');
    expect(errorOf(() => methodCall('ban', ['  x'], base))).toBe('Expecting value: line 1 column 3 (char 2)');
    expect(errorOf(() => methodCall('ban', ['{"aInfo": {"failures": 1}}'], base))).toMatch(/aInfo needs an "ip"/);
    expect(errorOf(() => methodCall('start', ['not json'], base))).toMatch(/^Expecting value/);
  });
});
