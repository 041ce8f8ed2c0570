/**
 * Python `re` (with fail2ban tags) -> JavaScript matchers with Python's search semantics.
 * See compile.ts for the design, conditional.ts for `(?(g)…|…)`, emit.ts for the text variants.
 */
export type { CompiledRegex, RegexMatch } from './compile.js';
export { compileFailRegex, compilePython } from './compile.js';
export { expandTags } from './tags.js';
export { enableLinearFallback, MAX_LINE_LENGTH } from './linear.js';
