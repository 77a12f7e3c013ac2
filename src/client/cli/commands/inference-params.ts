import type { TransferParamsInput } from '../../../models/transfer.js';
import { parseNumber } from '../args.js';
import { UsageError } from '../usage-error.js';

/** Numbers from the flags, unvalidated beyond "is a number": ranges are the client module's to check. */
export function readTransferParams(args: string[], values: Record<string, string | boolean | (string | boolean)[] | undefined>): TransferParamsInput {
  const weights = takeWeights(args);
  const number = (flag: string, key: keyof TransferParamsInput): TransferParamsInput => {
    const raw = values[flag];
    return typeof raw === 'string' ? { [key]: parseNumber(`--${flag}`, raw) } : {};
  };
  return {
    ...(weights ? { weights } : {}),
    ...number('steps', 'num_steps'), ...number('guidance', 'guidance'), ...number('seed', 'seed'),
    ...number('fps', 'fps'), ...number('sigma-max', 'sigma_max'),
  };
}

/** `--weights` takes four values; parseArgs keeps only the first, so the rest are read from argv. */
function takeWeights(args: string[]): NonNullable<TransferParamsInput['weights']> | null {
  const at = args.indexOf('--weights');
  if (at < 0) return null;
  const raw = args.slice(at + 1, at + 5);
  if (raw.length !== 4 || raw.some((value) => value.startsWith('--'))) throw new UsageError('--weights takes four numbers: vis edge depth seg');
  const [vis, edge, depth, seg] = raw.map((value) => parseNumber('--weights', value));
  return { vis: vis!, edge: edge!, depth: depth!, seg: seg! };
}

/** The three extra weight values are positionals to parseArgs; this removes them again. */
export function withoutWeightValues(args: string[], positionals: string[]): string[] {
  const at = args.indexOf('--weights');
  if (at < 0) return positionals;
  const extra = args.slice(at + 2, at + 5);
  const remaining = [...positionals];
  for (const value of extra) {
    const index = remaining.indexOf(value);
    if (index >= 0) remaining.splice(index, 1);
  }
  return remaining;
}
