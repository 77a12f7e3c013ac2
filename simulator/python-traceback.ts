export interface PyFrame {
  file: string;
  line: number;
  fn: string;
  /** The source line; empty for a frozen stdlib module (`<frozen os>`), which Python prints without one. */
  code: string;
  /** Python 3.11+'s `~~~^^^` marks under the code, when the failing expression is only part of the line. */
  carets?: string;
}

/** A Python exception as the fake model raises it; the worker prints it as a traceback and exits 1. */
export class PythonException extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly frames: PyFrame[],
    readonly context?: PythonException,
  ) {
    super(message);
  }
}

export function frame(file: string, line: number, fn: string, code: string, carets?: string): PyFrame {
  const path = file.startsWith('/') ? file : `/workspace/${file}`;
  return { file: path, line, fn, code, ...(carets === undefined ? {} : { carets }) };
}

/** Python 3.11+'s marks under `expr` within `code`: `^` for all of it, as for a call or an attribute. */
export function caretsUnder(code: string, expr: string): string {
  const at = code.indexOf(expr);
  return `${' '.repeat(Math.max(at, 0))}${'^'.repeat(expr.length)}`;
}

/** A frame in a frozen stdlib module: Python 3.11+ names it `<frozen os>` and prints no source line. */
export function frozenFrame(module: string, line: number, fn: string): PyFrame {
  return { file: `<frozen ${module}>`, line, fn, code: '' };
}

/** Under torchrun every line carries the `[rankN]: ` prefix. */
export function formatTraceback(error: PythonException, prefix = ''): string {
  const lines: string[] = [];
  if (error.context) {
    lines.push(...formatTraceback(error.context).split('\n').slice(0, -1));
    lines.push('', 'During handling of the above exception, another exception occurred:', '');
  }
  lines.push('Traceback (most recent call last):');
  for (const f of error.frames) {
    lines.push(`  File "${f.file}", line ${f.line}, in ${f.fn}`);
    if (f.code !== '') lines.push(`    ${f.code}`);
    if (f.carets !== undefined) lines.push(`    ${f.carets}`);
  }
  lines.push(error.message === '' ? error.type : `${error.type}: ${error.message}`);
  return `${lines.map((line) => `${prefix}${line}`).join('\n')}\n`;
}
