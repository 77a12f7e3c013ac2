import type { Output } from './output.js';
import { measureTerminalText } from './terminal-text.js';

/** Columns padded to their widest cell; the last column is never padded. */
export function formatTable(header: string[], rows: string[][], out: Output): string[] {
  const visible = measureTerminalText;
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => visible(row[i] ?? ''))));
  const render = (cells: string[]) => cells
    .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visible(cell)))))
    .join('  ').trimEnd();
  return [out.bold(render(header)), ...rows.map(render)];
}

export function formatStatus(status: string, out: Output): string {
  if (status === 'completed') return out.green(status);
  if (status === 'failed') return out.red(status);
  if (status === 'cancelled') return out.dim(status);
  return out.yellow(status);
}

export function formatAge(date: Date | null, now = Date.now()): string {
  if (!date) return '-';
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Marks every case-insensitive occurrence of `term` (only visible where colours are on). */
export function highlightMatches(text: string, term: string, out: Output): string {
  if (term === '' || !out.color) return text;
  const lower = text.toLowerCase();
  const needle = term.toLowerCase();
  let result = '';
  let at = 0;
  for (let found = lower.indexOf(needle); found >= 0; found = lower.indexOf(needle, at)) {
    result += text.slice(at, found) + out.highlight(text.slice(found, found + needle.length));
    at = found + needle.length;
  }
  return result + text.slice(at);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
