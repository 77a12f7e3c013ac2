import { CliError } from './cli-error.js';

export type FlagKind = 'bool' | 'value' | 'list';

export interface FlagSpec {
  kind: FlagKind;
  short?: string;
}

export interface ParsedFlags {
  values: Map<string, string[]>;
  positionals: string[];
}

/**
 * pflag-style parsing as the docker CLI does it: `--flag value`, `--flag=value`, `-x value`, `-xvalue`, clustered
 * booleans (`-dit`). With `stopAtPositional` (docker run) everything after the first positional belongs to it.
 */
export function parseFlags(
  command: string,
  args: string[],
  specs: Record<string, FlagSpec>,
  stopAtPositional = false,
): ParsedFlags {
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(specs).flatMap(([name, spec]) => (spec.short ? [[spec.short, name]] : [])));
  const add = (name: string, value: string) => values.set(name, [...(values.get(name) ?? []), value]);
  const usage = (message: string) => new CliError(`${message}\nSee 'docker ${command} --help'.`, 125);

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      const name = equals === -1 ? arg.slice(2) : arg.slice(2, equals);
      const spec = specs[name];
      if (!spec) throw usage(`unknown flag: --${name}`);
      if (spec.kind === 'bool') {
        add(name, equals === -1 ? 'true' : arg.slice(equals + 1));
      } else if (equals !== -1) {
        add(name, arg.slice(equals + 1));
      } else {
        const value = args[++i];
        if (value === undefined) throw usage(`flag needs an argument: --${name}`);
        add(name, value);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] ?? '';
        const name = byShort.get(letter);
        if (!name) throw usage(`unknown shorthand flag: '${letter}' in ${arg}`);
        if (specs[name]?.kind === 'bool') {
          add(name, 'true');
          continue;
        }
        const inline = arg.slice(j + 1).replace(/^=/, '');
        if (inline !== '') {
          add(name, inline);
        } else {
          const value = args[++i];
          if (value === undefined) throw usage(`flag needs an argument: '${letter}' in -${letter}`);
          add(name, value);
        }
        break;
      }
      continue;
    }
    if (stopAtPositional) {
      positionals.push(...args.slice(i));
      break;
    }
    positionals.push(arg);
  }
  return { values, positionals };
}

export function flagValue(flags: ParsedFlags, name: string): string | undefined {
  return flags.values.get(name)?.at(-1);
}

export function flagList(flags: ParsedFlags, name: string): string[] {
  return flags.values.get(name) ?? [];
}

export function flagBool(flags: ParsedFlags, name: string): boolean {
  const value = flagValue(flags, name);
  return value !== undefined && value !== 'false' && value !== '0';
}
