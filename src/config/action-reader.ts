import { resolve as resolvePath } from 'node:path';
/**
 * Reading an action (`action.d/<name>.conf` + .d/ + .local) for a jail into an ActionDef:
 * parameters over [Init] over [Definition], `%(x)s` resolved, tags left for the runtime
 * (but checked here so a self-referencing definition fails at read time, not at first ban).
 */
import { ConfigError } from '../core/errors.js';
import { readConfigFiles, type ReadCache } from './configset.js';
import { CONDITIONAL_KEY_RE, conditionalBases, readDefinition, withWhere } from './definition.js';
import { locate } from './locate.js';
import { parseSpec } from './params.js';
import { substituteTags } from './tags.js';
import { parseTime } from './timespec.js';
import type { ActionDef, Where } from './types.js';

/** Tags whose values come from logs: never substituted at config level. */
export const ESCAPED_TAGS = ['matches', 'ipmatches', 'ipjailmatches'] as const;

/** [Definition] keys fail2ban always reads (the commands and their flags). */
export const ACTION_COMMANDS: ReadonlySet<string> = new Set([
  'actionstart',
  'actionstart_on_demand',
  'actionstop',
  'actionflush',
  'actionreload',
  'actioncheck',
  'actionrepair',
  'actionrepair_on_unban',
  'actionban',
  'actionprolong',
  'actionreban',
  'actionunban',
  'norestored',
]);

export interface ActionReadOptions {
  /** Where the jail names this action (for error messages). */
  where?: Where;
  /** Share parsed files between reads (one config read). */
  cache?: ReadCache;
}

/** fail2ban's action identifier: file name, suffixed when `name` differs from the jail name. */
export function actionName(file: string, jailName: string, params: Readonly<Record<string, string>>): string {
  if (params.actname !== undefined) return params.actname;
  const n = params.name ?? jailName;
  if (n === jailName) return file;
  return file + (n.startsWith(jailName) ? n.slice(jailName.length) : `-${n}`);
}

export function readAction(
  basedirIn: string,
  spec: string,
  jailName: string,
  jailVars: Record<string, string> = {},
  opts: ActionReadOptions = {},
): ActionDef {
  const basedir = resolvePath(basedirIn);
  const parsed = parseSpec(spec, opts.where);
  if (parsed.name.endsWith('.py')) {
    throw new ConfigError(`jail '${jailName}': Python action '${parsed.name}' is not supported`, opts.where);
  }
  const params: Record<string, string> = { ...parsed.params };
  if (!('name' in params)) params.name = jailName;
  params.actname = actionName(parsed.name, jailName, params);
  const loc = locate('action', basedir, parsed.name, { jail: jailName, where: opts.where, cache: opts.cache });
  const cs = readConfigFiles(loc.files, opts.cache);
  const file = loc.files[0]!;
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(jailVars)) vars[k.toLowerCase()] = v;
  const read = readDefinition(cs, file, params, vars, ACTION_COMMANDS);

  // A bad timeout would otherwise surface only when the jail starts (or half-way through a reload).
  const timeout = read.combined.timeout?.trim();
  if (timeout && !timeout.includes('<'))
    parseTime(timeout, 'timeout', (parsed.params.timeout !== undefined ? opts.where : undefined) ?? read.where('timeout'));

  const ignore = [...ESCAPED_TAGS, 'timeout', 'bantime', ...conditionalBases(read.combined)];
  const families = Object.keys(read.combined).some((k) => CONDITIONAL_KEY_RE.test(k)) ? ['family=inet4', 'family=inet6'] : [];
  const commands: Record<string, string> = {};
  for (const conditional of [undefined, ...families]) {
    const subst = withWhere(
      () => substituteTags(read.combined, { ignore, lookup: read.lookup, where: read.where, conditional }),
      { file, line: 0 },
    );
    // fail2ban's client sends the unconditional substitution of the commands
    if (conditional === undefined) for (const k of ACTION_COMMANDS) if (subst[k] !== undefined) commands[k] = subst[k];
  }

  const options: Record<string, string> = {};
  const conditional: Record<string, Record<string, string>> = {};
  for (const [k, v] of Object.entries(read.combined)) {
    const m = CONDITIONAL_KEY_RE.exec(k);
    if (!m) {
      options[k] = v;
      continue;
    }
    const cond = m[2]!;
    const group = cond.startsWith('family=') ? cond.slice('family='.length) : cond;
    (conditional[group] ??= {})[m[1]!] = v;
  }
  // Section-qualified helpers (`[ipt_multiport] _chain_rule`) are used through nested tags such
  // as `<ipt_<type>/_chain_rule>`, which only the runtime can finish: hand them over as
  // `section/key` options.
  for (const section of read.cs.sections.keys()) {
    if (/^(Definition|Init|INCLUDES|DEFAULT)$|^KNOWN\/|\?/.test(section)) continue;
    for (const k of read.cs.ownKeys(section)) {
      const v = read.lookup(`${section}/${k}`);
      if (v !== undefined) options[`${section}/${k}`] = v;
    }
  }
  return { actname: params.actname, file: loc.name, options, conditional, initKeys: read.initKeys, commands };
}
