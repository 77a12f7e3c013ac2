/** Wrong arguments: exit code 2 with a hint to the command's `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
