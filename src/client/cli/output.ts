import { colourMarker, escapeJsonForTerminal, renderTerminalText } from './terminal-text.js';

/**
 * Terminal output: colours only on a TTY and never with NO_COLOR; `--json` bypasses all of it. Every line goes
 * through renderTerminalText, so no control character in user text reaches the terminal.
 */
export function createOutput(stream: NodeJS.WriteStream = process.stdout) {
  const color = Boolean(stream.isTTY) && !('NO_COLOR' in process.env);
  const paint = (code: string) => (text: string) => (color ? `${colourMarker(code)}${text}${colourMarker('0')}` : text);
  return {
    isTty: Boolean(stream.isTTY),
    color,
    bold: paint('1'), dim: paint('2'), green: paint('32'), red: paint('31'), yellow: paint('33'), cyan: paint('36'),
    highlight: paint('1;33'),
    line(text = ''): void {
      stream.write(`${renderTerminalText(text)}\n`);
    },
    json(value: unknown): void {
      stream.write(`${escapeJsonForTerminal(JSON.stringify(value, null, 2))}\n`);
    },
    /** Goes to stderr so that stdout stays parseable. */
    warn(text: string): void {
      process.stderr.write(`cosmos: warning: ${renderTerminalText(text)}\n`);
    },
  };
}

export type Output = ReturnType<typeof createOutput>;

/** A one-line progress bar redrawn in place on a TTY; elsewhere one line per change of label. */
export function createProgressBar(out: Output, stream: NodeJS.WriteStream = process.stderr) {
  let lastLabel = '';
  return {
    update(label: string, fraction: number) {
      const percent = Math.round(Math.min(Math.max(fraction, 0), 1) * 100);
      if (stream.isTTY) {
        const width = 30;
        const filled = Math.round((percent / 100) * width);
        stream.write(`\r${renderTerminalText(`${out.cyan('█'.repeat(filled))}${out.dim('░'.repeat(width - filled))} ${String(percent).padStart(3)}% ${label.padEnd(24)}`)}`);
      } else if (label !== lastLabel) {
        stream.write(`${renderTerminalText(label)} (${percent}%)\n`);
      }
      lastLabel = label;
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
