import { ConfigError } from '../core/errors.js';
import type { ActionDef } from '../config/types.js';
import type { Action } from './action.js';
import { CommandAction, type CommandActionDeps } from './command/command-action.js';

/** The one place that turns a configured action into a runnable one. */
export function createAction(def: ActionDef, deps: CommandActionDeps): Action {
  if (def.file.endsWith('.py')) {
    throw new ConfigError(`action "${def.actname}": Python actions (${def.file}) are not supported`);
  }
  return new CommandAction(def, deps);
}
