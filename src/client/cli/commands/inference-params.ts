import type { TransferParamsInput } from '../../../models/transfer-params.js';
import { parseInteger, parseNumber } from '../args.js';
import { UsageError } from '../usage-error.js';

/**
 * Numbers from the flags, in plain decimal (whole numbers for steps, seed and fps): `0x10` or `1e3` are usage
 * errors. Ranges are the client module's to check, with the model's real bounds in the message.
 */
export function readTransferParams(args: string[], values: Record<string, string | boolean | (string | boolean)[] | undefined>): TransferParamsInput {
  const weights = takeWeights(args);
  const number = (flag: string, key: keyof TransferParamsInput, whole: boolean): TransferParamsInput => {
    const raw = values[flag];
    if (typeof raw !== 'string') return {};
    return { [key]: whole ? parseInteger(`--${flag}`, raw) : parseNumber(`--${flag}`, raw) };
  };
  return {
    ...(weights ? { weights } : {}),
    ...number('steps', 'num_steps', true), ...number('guidance', 'guidance', false), ...number('seed', 'seed', true),
    ...number('fps', 'fps', true), ...number('sigma-max', 'sigma_max', false),
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
