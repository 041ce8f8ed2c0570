import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { createAction } from './create.js';
import { CommandAction } from './command/command-action.js';
import { jailStub } from './command/test-helpers.js';

describe('createAction', () => {
  it('builds command actions and refuses Python ones', () => {
    const jail = jailStub();
    expect(
      createAction({ actname: 'dummy', file: 'dummy', options: {}, conditional: {} }, { jail }),
    ).toBeInstanceOf(CommandAction);
    expect(() =>
      createAction({ actname: 'smtp', file: 'smtp.py', options: {}, conditional: {} }, { jail }),
    ).toThrow(ConfigError);
  });
});
