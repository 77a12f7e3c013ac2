/**
 * Complete lines of a log fed in pieces: a line is handed on once its end arrives; tqdm's `\r` redraws count as
 * line ends, so each redraw of a bar is a line.
 */
export function createLineSplitter(): (text: string) => string[] {
  let pending = '';
  return (text) => {
    const lines = (pending + text).split(/\r?\n|\r/);
    pending = lines.pop() ?? '';
    return lines;
  };
}
