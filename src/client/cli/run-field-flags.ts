import { runFieldsSchema, type RunFields } from '../run-fields.js';
import type { CommandOptions } from './command.js';
import { describeFlags, flagOptions, formatFlags, readFlags } from './model-flags.js';

/**
 * The run's own fields (src/client/run-fields.ts) as flags of every command that starts runs (`--priority N`),
 * derived from the schema as `cosmos run` derives them; ranges are the schema's to check when the run starts.
 */
export const runFieldFlags = () => describeFlags(runFieldsSchema);

export const runFieldOptions = (): CommandOptions => flagOptions(runFieldFlags());

export const readRunFields = (values: Record<string, unknown>): RunFields => readFlags(runFieldFlags(), values) as RunFields;

/** Help lines for the flags, as the other options of a command print them. */
export const formatRunFieldFlags = (): string => formatFlags(runFieldFlags());
