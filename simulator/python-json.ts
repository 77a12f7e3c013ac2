/**
 * Python's `json.dumps(value, indent=4)` (ensure_ascii on), as Cosmos logs its arguments. `floatKeys` names the
 * top-level keys holding Python floats, printed as `70.0` rather than `70`.
 */
export function dumpsPython(value: unknown, floatKeys: ReadonlySet<string> = new Set(), depth = 0): string {
  const pad = '    '.repeat(depth + 1);
  const closePad = '    '.repeat(depth);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return asciiString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => pad + dumpsPython(item, new Set(), depth + 1)).join(',\n')}\n${closePad}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  const items = entries.map(([key, item]) => {
    const text = floatKeys.has(key) && typeof item === 'number' && Number.isInteger(item)
      ? `${item}.0`
      : dumpsPython(item, new Set(), depth + 1);
    return `${pad}${asciiString(key)}: ${text}`;
  });
  return `{\n${items.join(',\n')}\n${closePad}}`;
}

function asciiString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Python's repr() of a str, as used in error messages. */
export function reprPython(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}
