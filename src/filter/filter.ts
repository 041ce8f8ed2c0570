/**
 * The filter as the rest of logjail uses it: the engine wired to the real regex
 * translator and date detector.
 */
import type { FilterDef } from '../config/types.js';
import { DateDetector } from './date/index.js';
import { FilterEngine, type FilterRuntimeOptions } from './engine.js';
import { compileFailRegex, MAX_LINE_LENGTH, type CompiledRegex } from './translate/index.js';

export type { FilterRuntimeOptions, RegexSlot } from './engine.js';

export class Filter extends FilterEngine<CompiledRegex, DateDetector> {
  /** Compiles every regex and the date patterns up front; errors name file:line. */
  constructor(def: FilterDef, opts: FilterRuntimeOptions) {
    super(def, opts, {
      compileRegex: compileFailRegex,
      createDateDetector: (o) => new DateDetector(o),
      maxLineLength: MAX_LINE_LENGTH,
    });
  }
}
