/** Bad user input: shown as-is (one line that says what to fix), never retried, and nothing was changed. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

/** The input names a prompt, run or batch that does not exist (the API answers 404). */
export class NotFoundError extends InputError {
  override readonly name = 'NotFoundError';
}

/** A job's outputs are not what its model must produce (no video, an unplayable one): the run fails as output_invalid. */
export class OutputInvalidError extends Error {
  override readonly name = 'OutputInvalidError';
}
