const safeToken = /^[A-Za-z0-9_\-+=@%.,:/]+$/;

/** Quotes one argument for a POSIX shell; the result is always a single word with no expansion. */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('shell arguments cannot contain NUL bytes');
  if (arg !== '' && safeToken.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function quoteCommand(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}
