/** Bad user input: shown as-is (one line that says what to fix), never retried, and nothing was changed. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}
