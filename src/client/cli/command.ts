import type { ParseArgsConfig } from 'node:util';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** One `cosmos` command: its help text, its flags (also read by the completion scripts) and its action. */
export interface Command {
  help: string;
  /** Help that depends on the arguments (`cosmos run upscale --help`). */
  helpFor?(args: string[]): string;
  options: CommandOptions;
  run(args: string[], ctx: CliContext, out: Output): Promise<number | void>;
}
