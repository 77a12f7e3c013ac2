import { z } from 'zod';
import type { ModelType } from '../../models/index.js';
import type { CommandOptions } from './command.js';
import { parseInteger, parseNumber } from './args.js';
import { UsageError } from './usage-error.js';

interface FlagSpec { flag: string; path: string[]; kind: 'integer' | 'number' | 'boolean' | 'string'; help: string }

interface JsonField { type?: string; enum?: unknown[]; minimum?: number; maximum?: number; description?: string; default?: unknown; properties?: Record<string, JsonField> }

/**
 * The model's parameters as flags, read from its schema: `num_steps` → `--num-steps N`, a nested `weights.edge` →
 * `--weights.edge X`, a boolean → `--distilled`. Help text shows the bounds and the model's defaults.
 */
export function describeModelFlags(model: ModelType): FlagSpec[] {
  return describeFlags(model.params, model.defaults);
}

/** Flags for the fields of any zod object (a model's parameters, the run's own fields). */
export function describeFlags(params: z.ZodObject, defaultValues: Record<string, unknown> = {}): FlagSpec[] {
  const schema = z.toJSONSchema(params, { io: 'input', unrepresentable: 'any' }) as JsonField;
  const flags: FlagSpec[] = [];
  const visit = (fields: Record<string, JsonField>, path: string[], defaults: Record<string, unknown> | undefined) => {
    for (const [key, field] of Object.entries(fields)) {
      const here = [...path, key];
      const fallback = defaults?.[key];
      if (field.type === 'object' && field.properties) {
        visit(field.properties, here, fallback as Record<string, unknown> | undefined);
        continue;
      }
      const kind = field.type === 'integer' || field.type === 'number' || field.type === 'boolean' ? field.type : 'string';
      const range = field.enum ? field.enum.join('|') : field.minimum !== undefined && field.maximum !== undefined ? `${field.minimum}..${field.maximum}` : '';
      const shown = fallback === undefined ? '' : ` (default ${String(fallback)})`;
      const flag = here.map((part) => part.replaceAll('_', '-')).join('.');
      flags.push({ flag, path: here, kind, help: `${field.description ?? ''}${range ? ` [${range}]` : ''}${shown}`.trim() });
    }
  };
  visit(schema.properties ?? {}, [], defaultValues);
  return flags;
}

export function flagOptions(flags: FlagSpec[]): CommandOptions {
  return Object.fromEntries(flags.map((f) => [f.flag, { type: f.kind === 'boolean' ? 'boolean' : 'string' }]));
}

/** Values from the parsed flags, numbers in plain decimal; ranges are the schema's to check (with its messages). */
export function readFlags(flags: FlagSpec[], values: Record<string, unknown>): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const spec of flags) {
    const raw = values[spec.flag];
    if (raw === undefined) continue;
    if (typeof raw !== (spec.kind === 'boolean' ? 'boolean' : 'string')) throw new UsageError(`--${spec.flag} is given in a wrong form`);
    const value = spec.kind === 'integer' ? parseInteger(`--${spec.flag}`, raw as string)
      : spec.kind === 'number' ? parseNumber(`--${spec.flag}`, raw as string) : raw;
    let target = params;
    for (const part of spec.path.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
    target[spec.path.at(-1)!] = value;
  }
  return params;
}

export function formatFlags(flags: FlagSpec[]): string {
  const width = Math.max(0, ...flags.map((f) => f.flag.length + (f.kind === 'boolean' ? 0 : 2)));
  return flags.map((f) => `  --${`${f.flag}${f.kind === 'boolean' ? '' : ' V'}`.padEnd(width)}  ${f.help}`).join('\n');
}
