import { escapeTerminalText } from './terminal-text.js';

/** The message with all its lines, then each cause not already quoted by the error before it; safe for a terminal. */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  let previous = '';
  let level = 0;
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const message = e instanceof Error ? e.message || e.name : String(e);
    if (depth > 0 && previous.includes(message)) continue;
    const [first = '', ...rest] = message.trimEnd().split('\n');
    const indent = '  '.repeat(level);
    lines.push(`${indent}${level > 0 ? 'caused by: ' : ''}${first}`, ...rest.map((line) => `${indent}  ${line}`));
    previous = message;
    level++;
  }
  return escapeTerminalText(lines.join('\n'));
}
