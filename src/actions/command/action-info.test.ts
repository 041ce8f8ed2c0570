import { describe, expect, it } from 'vitest';
import { actionInfoRepr } from './action-info.js';
import { CommandAction } from './command-action.js';
import { actionFromText, captureLog, jailStub, ticket } from './test-helpers.js';

const FID = "'fid': <function Actions.ActionInfo.<lambda> at 0x7f0000001000>";
const RAW = "'raw-ticket': <function Actions.ActionInfo.<lambda> at 0x7f0000002000>";

describe("a ticket's ActionInfo as fail2ban 1.0.2 prints it in a failed ban", () => {
  it('shows ip and family, and fid / raw-ticket as the lambdas not yet called', () => {
    // 1.0.2, route action, restored ban: ActionInfo({'ip': '2001:db8:4::43', 'family': 'inet6',
    // 'fid': <function Actions.ActionInfo.<lambda> at 0x7f169564a5c0>, 'raw-ticket': <function …>})
    expect(actionInfoRepr(ticket({ id: '2001:db8:4::43', restored: true }), new Map())).toBe(
      `ActionInfo({'ip': '2001:db8:4::43', 'family': 'inet6', ${FID}, ${RAW}})`,
    );
  });

  it('adds what the commands used, in its own key order, numbers unquoted, captures last', () => {
    const t = ticket({ id: '192.0.2.9', fields: { user: "o'neil" } });
    const used = new Map([
      ['F-USER', ''],
      ['bantime', '600'],
      ['fid', '192.0.2.9'],
      ['matches', 'a\nb'],
    ]);
    expect(actionInfoRepr(t, used)).toBe(
      `ActionInfo({'ip': '192.0.2.9', 'family': 'inet4', 'fid': '192.0.2.9', 'bantime': 600, 'matches': 'a\\nb', ${RAW}, 'F-USER': "o'neil"})`,
    );
  });

  it('is what a failed ban logs', async () => {
    const log = captureLog();
    const def = actionFromText('[Definition]\nactionban = echo <ip> <bancount>; false\n', { actname: 'act' });
    const act = new CommandAction(def, { jail: jailStub(), logger: log.logger });
    expect(await act.ban(ticket({ id: '192.0.2.1' }))).toBe(false);
    expect(log.lines.at(-1)).toBe(
      `ERROR Failed to execute ban jail 'test' action 'act' info 'ActionInfo({'ip': '192.0.2.1', 'family': 'inet4', ${FID}, 'bancount': 1, ${RAW}})': Error banning 192.0.2.1`,
    );
  });
});
