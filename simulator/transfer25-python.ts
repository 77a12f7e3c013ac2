import { posix } from 'node:path';
import { reprPython } from './python-json.js';

/**
 * Python value semantics the Transfer2.5 simulation needs: repr() of parsed JSON values (pydantic's input_value,
 * the `Processing the following paths` dict, the `Generating n samples: [...]` list), float repr, type names and
 * str(pathlib.Path(...)).
 */

/** A Python float: JSON numbers are parsed to JS numbers, so a field's declared type decides how it prints. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** repr(float): shortest round-trip digits like JS, but `3.0`, `1e-05` and `1e+16` as Python writes them. */
export function reprFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e16 || magnitude < 1e-4)) {
    const [mantissa = '', exponent = '0'] = value.toExponential().split('e');
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return Number.isInteger(value) ? `${value.toFixed(1)}` : String(value);
}

/** repr() of a value json.loads produced (ints stay ints; a PyFloat prints as a float). */
export function reprValue(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value instanceof PyFloat) return reprFloat(value.value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 1e16 ? String(value) : reprFloat(value);
  if (typeof value === 'string') return reprPython(value);
  if (Array.isArray(value)) return `[${value.map(reprValue).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${reprPython(k)}: ${reprValue(v)}`).join(', ')}}`;
}

/** type(value).__name__ for a json.loads result. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (value instanceof PyFloat) return 'float';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  return Array.isArray(value) ? 'list' : 'dict';
}

/** str(pathlib.PurePosixPath(text)): repeated and trailing slashes and `.` parts go, `..` stays. */
export function pathStr(text: string): string {
  if (text === '') return '.';
  const absolute = text.startsWith('/');
  const parts = text.split('/').filter((part) => part !== '' && part !== '.');
  const joined = parts.join('/');
  if (absolute) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Path(text).expanduser().absolute() against `cwd` (a normalized absolute container path): no `..` collapsing. */
export function absolutePath(text: string, cwd: string): string {
  const expanded = text === '~' || text.startsWith('~/') ? `/root${text.slice(1)}` : text;
  const path = pathStr(expanded);
  if (path.startsWith('/')) return path;
  return path === '.' ? cwd : `${cwd === '/' ? '' : cwd}/${path}`;
}

/** os.getcwd() after os.chdir(dir): the kernel's normalized absolute path. */
export function chdirTarget(dir: string, cwd: string): string {
  return posix.resolve(cwd, dir);
}
