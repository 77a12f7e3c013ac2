import { reprPython } from './python-json.js';

export type ArgType = 'str' | 'int' | 'float' | 'flag';

export interface ArgSpec {
  name: string;
  type: ArgType;
  default: string | number | boolean | null;
  choices?: (string | number)[];
  required?: boolean;
  help?: string;
}

export type Namespace = Record<string, string | number | boolean | null>;

/** argparse printed a message and would call sys.exit(exitCode). */
export class ArgparseExit extends Error {
  constructor(
    readonly exitCode: number,
    readonly output: string,
    readonly toStdout = false,
  ) {
    super(output);
  }
}

/** Python argparse semantics for an options-only parser: prefixes, `--x=v`, exit 2 with usage on any error. */
export function parseArgs(prog: string, specs: ArgSpec[], argv: string[]): Namespace {
  const namespace: Namespace = Object.fromEntries(specs.map((spec) => [spec.name, spec.default]));
  const seen = new Set<string>();
  const extras: string[] = [];
  const fail = (message: string): never => {
    throw new ArgparseExit(2, `${usage(prog, specs)}${prog}: error: ${message}\n`);
  };

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '-h' || token === '--help') throw new ArgparseExit(0, help(prog, specs), true);
    if (!token.startsWith('--') || token === '--') {
      extras.push(token);
      continue;
    }
    const equals = token.indexOf('=');
    const written = equals === -1 ? token.slice(2) : token.slice(2, equals);
    const spec = findSpec(specs, written, fail);
    if (!spec) {
      extras.push(token);
      continue;
    }
    seen.add(spec.name);
    if (spec.type === 'flag') {
      if (equals !== -1) fail(`argument --${spec.name}: ignored explicit argument ${reprPython(token.slice(equals + 1))}`);
      namespace[spec.name] = true;
      continue;
    }
    let raw: string | undefined;
    if (equals !== -1) {
      raw = token.slice(equals + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || looksLikeOption(specs, next)) {
        fail(`argument --${spec.name}: expected one argument`);
      }
      raw = next;
      i++;
    }
    namespace[spec.name] = convert(spec, raw ?? '', fail);
  }
  const missing = specs.filter((spec) => spec.required && !seen.has(spec.name));
  if (missing.length > 0) fail(`the following arguments are required: ${missing.map((s) => `--${s.name}`).join(', ')}`);
  if (extras.length > 0) fail(`unrecognized arguments: ${extras.join(' ')}`);
  return namespace;
}

/**
 * argparse's `_parse_optional` (CPython 3.12 Lib/argparse.py): whether a token is an option rather than a value.
 * Not one: an empty string, no leading '-', a lone '-', a negative number (`^-\d+$|^-\d*\.\d+$`), or a token
 * with a space in it (so `--prompt "- a list"` is a value) unless it names an option or an option's prefix.
 */
function looksLikeOption(specs: ArgSpec[], token: string): boolean {
  if (token === '' || !token.startsWith('-')) return false;
  const names = ['-h', '--help', ...specs.map((spec) => `--${spec.name}`)];
  if (names.includes(token)) return true;
  if (token.length === 1) return false;
  if (token.includes('=') && names.includes(token.slice(0, token.indexOf('=')))) return true;
  if (token.startsWith('--') && names.some((name) => name.startsWith(token.split('=')[0] ?? token))) return true;
  if (/^-\d+$|^-\d*\.\d+$/.test(token)) return false;
  if (token.includes(' ')) return false;
  return true;
}

function findSpec(specs: ArgSpec[], written: string, fail: (message: string) => never): ArgSpec | undefined {
  const exact = specs.find((spec) => spec.name === written);
  if (exact) return exact;
  const prefixed = specs.filter((spec) => spec.name.startsWith(written));
  if (prefixed.length > 1) {
    fail(`ambiguous option: --${written} could match ${prefixed.map((s) => `--${s.name}`).join(', ')}`);
  }
  return prefixed[0];
}

function convert(spec: ArgSpec, raw: string, fail: (message: string) => never): string | number {
  let value: string | number = raw;
  if (spec.type === 'int') {
    if (!/^\s*[+-]?\d+\s*$/.test(raw)) fail(`argument --${spec.name}: invalid int value: ${reprPython(raw)}`);
    value = Number.parseInt(raw, 10);
  } else if (spec.type === 'float') {
    const parsed = /^\s*[+-]?(inf|infinity|nan)\s*$/i.test(raw) ? Number(raw.replace(/inf(inity)?/i, 'Infinity')) : Number(raw);
    if (raw.trim() === '' || (Number.isNaN(parsed) && !/nan/i.test(raw))) {
      fail(`argument --${spec.name}: invalid float value: ${reprPython(raw)}`);
    }
    value = parsed;
  }
  if (spec.choices && !spec.choices.includes(value)) {
    const shown = (v: string | number) => (typeof v === 'string' ? reprPython(v) : String(v));
    fail(`argument --${spec.name}: invalid choice: ${shown(value)} (choose from ${spec.choices.map(shown).join(', ')})`);
  }
  return value;
}

function usage(prog: string, specs: ArgSpec[]): string {
  const parts = ['[-h]', ...specs.map((spec) => {
    const option = spec.type === 'flag' ? `--${spec.name}` : `--${spec.name} ${metavar(spec)}`;
    return spec.required ? option : `[${option}]`;
  })];
  const lead = `usage: ${prog} `;
  const lines: string[] = [];
  let line = lead;
  for (const part of parts) {
    if (line.length + part.length > 79 && line.trim() !== lead.trim()) {
      lines.push(line.trimEnd());
      line = ' '.repeat(lead.length);
    }
    line += `${part} `;
  }
  lines.push(line.trimEnd());
  return `${lines.join('\n')}\n`;
}

function metavar(spec: ArgSpec): string {
  return spec.choices ? `{${spec.choices.join(',')}}` : spec.name.toUpperCase();
}

function help(prog: string, specs: ArgSpec[]): string {
  const options = specs.map((spec) => {
    const option = spec.type === 'flag' ? `--${spec.name}` : `--${spec.name} ${metavar(spec)}`;
    return `  ${option}\n                        ${spec.help ?? ''}`;
  });
  return `${usage(prog, specs)}\noptions:\n  -h, --help            show this help message and exit\n${options.join('\n')}\n`;
}
