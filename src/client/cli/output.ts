/** Terminal output: colours only on a TTY and never with NO_COLOR; `--json` bypasses all of it. */
export function createOutput(stream: NodeJS.WriteStream = process.stdout) {
  const color = Boolean(stream.isTTY) && !('NO_COLOR' in process.env);
  const paint = (code: string) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    isTty: Boolean(stream.isTTY),
    bold: paint('1'), dim: paint('2'), green: paint('32'), red: paint('31'), yellow: paint('33'), cyan: paint('36'),
    line(text = ''): void {
      stream.write(`${text}\n`);
    },
    json(value: unknown): void {
      stream.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

export type Output = ReturnType<typeof createOutput>;

/** A one-line progress bar redrawn in place on a TTY; elsewhere one line per change of stage. */
export function createProgressBar(out: Output, stream: NodeJS.WriteStream = process.stderr) {
  let lastStage = '';
  return {
    update(stage: string, fraction: number) {
      const percent = Math.round(Math.min(Math.max(fraction, 0), 1) * 100);
      if (stream.isTTY) {
        const width = 30;
        const filled = Math.round((percent / 100) * width);
        stream.write(`\r${out.cyan('█'.repeat(filled))}${out.dim('░'.repeat(width - filled))} ${String(percent).padStart(3)}% ${stage.padEnd(12)}`);
      } else if (stage !== lastStage) {
        stream.write(`${stage} (${percent}%)\n`);
      }
      lastStage = stage;
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
