export interface PyFrame {
  file: string;
  line: number;
  fn: string;
  code: string;
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

export function frame(file: string, line: number, fn: string, code: string): PyFrame {
  const path = file.startsWith('/') ? file : `/workspace/${file}`;
  return { file: path, line, fn, code };
}

/** Under torchrun every line carries the `[rankN]: ` prefix. */
export function formatTraceback(error: PythonException, prefix = ''): string {
  const lines: string[] = [];
  if (error.context) {
    lines.push(...formatTraceback(error.context).split('\n').slice(0, -1));
    lines.push('', 'During handling of the above exception, another exception occurred:', '');
  }
  lines.push('Traceback (most recent call last):');
  for (const f of error.frames) lines.push(`  File "${f.file}", line ${f.line}, in ${f.fn}`, `    ${f.code}`);
  lines.push(error.message === '' ? error.type : `${error.type}: ${error.message}`);
  return `${lines.map((line) => `${prefix}${line}`).join('\n')}\n`;
}
