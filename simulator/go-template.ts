import { CliError } from './cli-error.js';

/**
 * The slice of Go's text/template that docker `--format` users write: `{{.A.B}}`, `{{json .X}}`,
 * `{{index .Config.Labels "k"}}`, `{{.Label "k"}}` (a method on `docker ps` rows), `{{lower .X}}`, `{{upper .X}}`,
 * `{{join .X ","}}`, and `{{-`/`-}}` trimming. Docker prints one rendered line per object.
 */
export function renderTemplate(template: string, data: unknown): string {
  const parts = template.split(/(\{\{-?[\s\S]*?-?\}\})/);
  let output = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (!part.startsWith('{{')) {
      let text = part;
      if (parts[i - 1]?.endsWith('-}}')) text = text.trimStart();
      if (parts[i + 1]?.startsWith('{{-')) text = text.trimEnd();
      output += text;
      continue;
    }
    const action = part.replace(/^\{\{-?/, '').replace(/-?\}\}$/, '').trim();
    output += formatValue(evaluate(tokenize(action), data));
  }
  return output;
}

type Token = { kind: 'field'; path: string[] } | { kind: 'string'; value: string } | { kind: 'word'; value: string };

function tokenize(action: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\S+)/g;
  for (const [, raw = ''] of action.matchAll(pattern)) {
    if (raw.startsWith('"')) tokens.push({ kind: 'string', value: JSON.parse(raw) as string });
    else if (raw.startsWith('`')) tokens.push({ kind: 'string', value: raw.slice(1, -1) });
    else if (raw.startsWith('.')) tokens.push({ kind: 'field', path: raw === '.' ? [] : raw.slice(1).split('.') });
    else tokens.push({ kind: 'word', value: raw });
  }
  return tokens;
}

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  json: (value) => JSON.stringify(value ?? null),
  index: (value, ...keys) =>
    keys.reduce((current, key) => (current as Record<string, unknown> | undefined)?.[String(key)], value),
  lower: (value) => String(value).toLowerCase(),
  upper: (value) => String(value).toUpperCase(),
  join: (value, separator) => (Array.isArray(value) ? value.join(String(separator)) : String(value)),
  println: (...values) => `${values.map(formatValue).join(' ')}\n`,
};

function evaluate(tokens: Token[], data: unknown): unknown {
  const [head, ...rest] = tokens;
  if (!head) throw templateError('missing value for command');
  const args = rest.map((token) => resolveToken(token, data));
  if (head.kind === 'word') {
    const fn = FUNCTIONS[head.value];
    if (!fn) throw templateError(`function "${head.value}" not defined`);
    return fn(...args);
  }
  const value = resolveToken(head, data);
  if (typeof value === 'function') return (value as (...a: unknown[]) => unknown)(...args);
  if (args.length > 0) throw templateError(`can't give argument to non-function ${describe(head)}`);
  return value;
}

function resolveToken(token: Token, data: unknown): unknown {
  if (token.kind === 'string') return token.value;
  if (token.kind === 'word') {
    if (/^-?\d+$/.test(token.value)) return Number(token.value);
    throw templateError(`function "${token.value}" not defined`);
  }
  return token.path.reduce<unknown>((current, key) => {
    if (current === null || typeof current !== 'object') return undefined;
    return (current as Record<string, unknown>)[key];
  }, data);
}

function describe(token: Token): string {
  return token.kind === 'field' ? `.${token.path.join('.')}` : JSON.stringify(token);
}

/** Go's %v: maps as map[k:v], slices as [a b], nil as <no value>. */
function formatValue(value: unknown): string {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(formatValue).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `map[${entries.map(([k, v]) => `${k}:${formatValue(v)}`).join(' ')}]`;
  }
  return String(value);
}

function templateError(message: string): CliError {
  return new CliError(`template parsing error: template: :1: ${message}`, 1);
}
