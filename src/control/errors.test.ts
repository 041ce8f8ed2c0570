import { describe, expect, it } from 'vitest';
import { badValue, duplicateJail, errorText, exceptionRepr, invalidCommand, keyError, missingArgument, noGetAction, noSetAction, unknownJail } from './errors.js';

describe('command errors', () => {
  it('print as fail2ban-client 1.0.2 prints them', () => {
    expect(errorText('UnknownJail', unknownJail('nosuch').message)).toBe("Sorry but the jail 'nosuch' does not exist");
    expect(errorText('Index', missingArgument().message)).toBe('Sorry but the command is invalid');
    expect(noSetAction("it's").message).toBe('Invalid command "it\'s" (no set action or not yet implemented)');
    // a KeyError: quoted in the reply, bare in the NOK tuple and the server log
    const k = keyError('Invalid Action name: nosuch');
    expect(errorText(k.kind, k.message)).toBe("'Invalid Action name: nosuch'");
    expect(k.message).toBe('Invalid Action name: nosuch');
    expect(exceptionRepr(k)).toBe("KeyError('Invalid Action name: nosuch')");
  });

  it('are named in the server log as the Python exceptions fail2ban raises', () => {
    // the part after "Received" in fail2ban.transmitter's "Command [...] has failed." line
    expect(
      [unknownJail('nosuch'), duplicateJail('sshd'), missingArgument(), invalidCommand(), noGetAction(), badValue("not banned: ['192.0.2.99']")].map(exceptionRepr),
    ).toEqual([
      "UnknownJailException('nosuch')",
      "DuplicateJailException('sshd')",
      "IndexError('list index out of range')",
      "Exception('Invalid command')",
      "Exception('Invalid command (no get action or not yet implemented)')",
      'ValueError("not banned: [\'192.0.2.99\']")',
    ]);
    expect(exceptionRepr(new Error('disk full'))).toBe("Exception('disk full')");
  });
});
