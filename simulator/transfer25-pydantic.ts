import { statSync } from 'node:fs';
import { hostPathForRead } from './container-fs.js';
import { absolutePath, PyFloat, reprValue, typeName } from './transfer25-python.js';

/**
 * The slice of pydantic 2.11 (lax "python" mode, as `model_validate(dict)` runs) that cosmos_transfer2/config.py's
 * models use, with pydantic-core's error texts: `N validation error(s) for <Model>`, a dotted loc line, then
 * `  <msg> [type=<t>, input_value=<repr, cut to 25...24 chars past 50>, input_type=<type>]` and the docs URL.
 */

export interface PydanticError {
  loc: (string | number)[];
  msg: string;
  type: string;
  input: unknown;
}

/** A pydantic.ValidationError, printed by the caller (config.py `_from_file`, `handle_tyro_exception`). */
export class ValidationError extends Error {
  constructor(
    readonly title: string,
    readonly errors: PydanticError[],
  ) {
    super(formatValidationError(title, errors));
  }
}

export type FieldKind = 'str' | 'int' | 'float' | 'bool' | 'file' | 'file_or_dir' | 'literal' | 'model' | 'int_list';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  nullable?: boolean;
  required?: boolean;
  default?: unknown;
  ge?: number;
  gt?: number;
  le?: number;
  choices?: (string | number)[];
  model?: { title: string; fields: FieldSpec[] };
}

export type Validated = Record<string, unknown>;

function truncate(text: string): string {
  const chars = [...text];
  return chars.length > 50 ? `${chars.slice(0, 25).join('')}...${chars.slice(-24).join('')}` : text;
}

export function formatValidationError(title: string, errors: PydanticError[]): string {
  const lines = [`${errors.length} validation error${errors.length === 1 ? '' : 's'} for ${title}`];
  for (const error of errors) {
    if (error.loc.length > 0) lines.push(error.loc.join('.'));
    lines.push(`  ${error.msg} [type=${error.type}, input_value=${truncate(reprValue(error.input))}, input_type=${typeName(error.input)}]`);
    lines.push(`    For further information visit https://errors.pydantic.dev/2.11/v/${error.type}`);
  }
  return lines.join('\n');
}

const TRUE_WORDS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_WORDS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

function listChoices(choices: (string | number)[]): string {
  const shown = choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c)));
  return shown.length === 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1) ?? ''}`;
}

type Outcome = { ok: true; value: unknown } | { ok: false; msg: string; type: string };
const ok = (value: unknown): Outcome => ({ ok: true, value });
const fail = (msg: string, type: string): Outcome => ({ ok: false, msg, type });

function toNumber(kind: 'int' | 'float', input: unknown): Outcome {
  if (typeof input === 'boolean') return ok(input ? 1 : 0);
  let value: number;
  if (typeof input === 'number') {
    value = input;
  } else if (typeof input === 'string') {
    const text = input.trim();
    const pattern = kind === 'int' ? /^[+-]?\d+(_\d+)*$/ : /^[+-]?((\d+(_\d+)*)?\.?\d*([eE][+-]?\d+)?|inf|infinity|nan)$/i;
    if (text === '' || !pattern.test(text)) {
      return kind === 'int'
        ? fail('Input should be a valid integer, unable to parse string as an integer', 'int_parsing')
        : fail('Input should be a valid number, unable to parse string as a number', 'float_parsing');
    }
    value = /inf/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text.replaceAll('_', ''));
  } else {
    return kind === 'int' ? fail('Input should be a valid integer', 'int_type') : fail('Input should be a valid number', 'float_type');
  }
  if (kind === 'int') {
    if (!Number.isFinite(value)) return fail('Input should be a finite number', 'finite_number');
    if (!Number.isInteger(value)) return fail('Input should be a valid integer, got a number with a fractional part', 'int_from_float');
  }
  return ok(value);
}

function checkBounds(spec: FieldSpec, value: number): Outcome {
  if (spec.gt !== undefined && !(value > spec.gt)) return fail(`Input should be greater than ${spec.gt}`, 'greater_than');
  if (spec.ge !== undefined && !(value >= spec.ge)) return fail(`Input should be greater than or equal to ${spec.ge}`, 'greater_than_equal');
  if (spec.le !== undefined && !(value <= spec.le)) return fail(`Input should be less than or equal to ${spec.le}`, 'less_than_equal');
  return ok(spec.kind === 'float' ? new PyFloat(value) : value);
}

function checkPath(input: unknown, cwd: string, wantDir: boolean | 'either'): Outcome {
  if (typeof input !== 'string') return fail('Input is not a valid path', 'path_type');
  const absolute = absolutePath(input, cwd);
  const host = hostPathForRead(absolute);
  const stats = host === undefined ? undefined : statSync(host, { throwIfNoEntry: false });
  if (wantDir !== true && stats?.isFile()) return ok(absolute);
  if (wantDir !== false && stats?.isDirectory()) return ok(absolute);
  return wantDir === true ? fail('Path does not point to a directory', 'path_not_directory') : fail('Path does not point to a file', 'path_not_file');
}

function validateValue(spec: FieldSpec, input: unknown, cwd: string, loc: (string | number)[], errors: PydanticError[]): unknown {
  if (input === null && spec.nullable) return null;
  const report = (outcome: Outcome): unknown => {
    if (outcome.ok) return outcome.value;
    errors.push({ loc, msg: outcome.msg, type: outcome.type, input });
    return undefined;
  };
  switch (spec.kind) {
    case 'str':
      return report(typeof input === 'string' ? ok(input) : fail('Input should be a valid string', 'string_type'));
    case 'int':
    case 'float': {
      const number = toNumber(spec.kind, input);
      return report(number.ok ? checkBounds(spec, number.value as number) : number);
    }
    case 'bool': {
      if (typeof input === 'boolean') return input;
      if (input === 0 || input === 1) return input === 1;
      if (typeof input === 'string' && TRUE_WORDS.has(input.trim().toLowerCase())) return true;
      if (typeof input === 'string' && FALSE_WORDS.has(input.trim().toLowerCase())) return false;
      const parsing = typeof input === 'string' || typeof input === 'number';
      return report(parsing ? fail('Input should be a valid boolean, unable to interpret input', 'bool_parsing') : fail('Input should be a valid boolean', 'bool_type'));
    }
    case 'file':
      return report(checkPath(input, cwd, false));
    case 'file_or_dir':
      return report(checkPath(input, cwd, 'either'));
    case 'literal': {
      const found = (spec.choices ?? []).find((choice) => choice === input);
      return report(found !== undefined ? ok(found) : fail(`Input should be ${listChoices(spec.choices ?? [])}`, 'literal_error'));
    }
    case 'int_list': {
      if (!Array.isArray(input)) return report(fail('Input should be a valid list', 'list_type'));
      const item: FieldSpec = { name: '', kind: 'int' };
      return input.map((value, index) => validateValue(item, value, cwd, [...loc, index], errors));
    }
    case 'model': {
      const model = spec.model ?? { title: '', fields: [] };
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        return report(fail(`Input should be a valid dictionary or instance of ${model.title}`, 'model_type'));
      }
      // ControlConfig has no extra="forbid": unknown keys in a control block are dropped (pydantic's "ignore").
      return validateFields(model.fields, input as Record<string, unknown>, cwd, loc, errors);
    }
  }
}

/** Every field in declaration order (pydantic validates them all and reports every failure). */
export function validateFields(
  fields: FieldSpec[],
  data: Record<string, unknown>,
  cwd: string,
  loc: (string | number)[],
  errors: PydanticError[],
): Validated {
  const result: Validated = {};
  for (const spec of fields) {
    if (!(spec.name in data)) {
      if (spec.required) errors.push({ loc: [...loc, spec.name], msg: 'Field required', type: 'missing', input: data });
      else result[spec.name] = spec.default ?? null;
      continue;
    }
    result[spec.name] = validateValue(spec, data[spec.name], cwd, [...loc, spec.name], errors);
  }
  return result;
}

/** pydantic's model_dump_json(): compact, fields in declaration order, floats as floats, paths as strings. */
export function dumpJson(fields: FieldSpec[], values: Validated): string {
  const parts = fields.map((spec) => `${JSON.stringify(spec.name)}:${dumpValue(spec, values[spec.name])}`);
  return `{${parts.join(',')}}`;
}

function dumpValue(spec: FieldSpec, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return Number.isInteger(value.value) ? value.value.toFixed(1) : String(value.value);
  if (spec.kind === 'model' && spec.model) return dumpJson(spec.model.fields, value as Validated);
  return JSON.stringify(value);
}
