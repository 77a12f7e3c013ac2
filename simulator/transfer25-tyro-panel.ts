import { ArgparseExit } from './argparse.js';

/**
 * tyro 0.9.35's parse-error box (`src/tyro/_argparse_formatter.py` `TyroArgumentParser.error`, `_cli.py` value
 * errors): a rich Panel with a left-aligned title, printed to stderr, then `sys.exit(2)`. The group holds a Rule,
 * which measures as the full width, so the panel spans the console: 80 columns when stderr is not a terminal
 * (rich's default), no colour. Text wraps at word boundaries inside the 76-column content area.
 */
const WIDTH = 80;
const INNER = WIDTH - 4;

export type PanelLine = string | { rule: true };

function wrap(text: string): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line === '') line = word;
      else if (line.length + 1 + word.length <= INNER) line += ` ${word}`;
      else {
        out.push(line);
        line = word;
      }
      while (line.length > INNER) {
        out.push(line.slice(0, INNER));
        line = line.slice(INNER);
      }
    }
    out.push(line);
  }
  return out;
}

export function renderPanel(title: string, lines: PanelLine[]): string {
  const head = `╭─ ${title} `;
  const rows = [`${head}${'─'.repeat(WIDTH - 1 - head.length)}╮`];
  for (const line of lines) {
    if (typeof line !== 'string') {
      rows.push(`│ ${'─'.repeat(INNER)} │`);
      continue;
    }
    for (const text of wrap(line)) rows.push(`│ ${text.padEnd(INNER)} │`);
  }
  rows.push(`╰${'─'.repeat(WIDTH - 2)}╯`);
  return `${rows.join('\n')}\n`;
}

/** `console_outputs=is_rank0()` (examples/inference.py): only rank 0 prints; every rank exits 2. */
function exitWith(panel: string): never {
  const rank0 = (process.env.RANK ?? '0') === '0';
  throw new ArgparseExit(2, rank0 ? panel : '');
}

const FOOTER: PanelLine[] = [{ rule: true }, 'For full helptext, run inference.py --help'];

/** argparse's message, first letter upper-cased; title per tyro's error(). */
export function tyroParseError(message: string): never {
  const title = message.startsWith('the following arguments are required:') ? 'Required options' : 'Parsing error';
  exitWith(renderPanel(title, [`${message[0]?.toUpperCase() ?? ''}${message.slice(1)}`, ...FOOTER]));
}

export function tyroUnrecognized(args: string[]): never {
  exitWith(renderPanel('Unrecognized options', [`Unrecognized options: ${args.join(' ')}`, ...FOOTER]));
}

/** `_cli.py`: a value the field's constructor rejects (e.g. int('x')), in a "Value error" panel. */
export function tyroValueError(flag: string, message: string): never {
  exitWith(renderPanel('Value error', [`Error parsing ${flag}: ${message}`]));
}
