/** The fail2ban config reader: public API. */
export type { ActionDef, FilterDef, FullConfig, IncrementDef, JailDef, LogPathDef, ServerDef, Where } from './types.js';
export { parseIni, readIniFile, type Entry, type IniFile, type IniSection } from './ini.js';
export { ConfigSet, configCandidates, findConfigFiles, readConfigFiles, readConfigSet } from './configset.js';
export { getOption, interpolateEntry, interpolateText, MAX_INTERPOLATION_DEPTH, type InterpolationContext } from './interpolate.js';
export { substituteTags, substituteText, MAX_TAG_REPLACE_COUNT, type TagOptions } from './tags.js';
export { parseSpec, splitActions, type Spec } from './params.js';
export { str2sec, parseTime } from './timespec.js';
export { parseBool } from './values.js';
export { emptyFilter, readFilter, readFilterFull, FILTER_OPTS, type FilterReadOptions, type FilterRead } from './filter-reader.js';
export { readAction, actionName, ESCAPED_TAGS } from './action-reader.js';
export { readServer, SERVER_DEFAULTS } from './server-reader.js';
export { readConfig, readJails, parseLogpath, stubJail, JAIL_OPTS, FAIL2BAN_VERSION, type ReadConfigOptions } from './jail-reader.js';
