/** The one error type for commands run on a GPU host, whichever transport ran them. */
export class RemoteCommandError extends Error {
  override readonly name = 'RemoteCommandError';
  readonly command: string;
  readonly host: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;

  constructor(fields: { command: string; host: string; exitCode: number | null; signal: string | null; stderr: string; cause?: unknown }) {
    const stderrTail = tail(fields.stderr, 2000);
    const how = fields.signal ? `killed by ${fields.signal}` : `exit code ${fields.exitCode}`;
    const lastLine = stderrTail.trim().split('\n').at(-1) ?? '';
    super(`${fields.host}: \`${shorten(fields.command)}\` failed (${how})${lastLine ? `: ${lastLine}` : ''}`, { cause: fields.cause });
    this.command = fields.command;
    this.host = fields.host;
    this.exitCode = fields.exitCode;
    this.signal = fields.signal;
    this.stderrTail = stderrTail;
  }
}

/** Raised when the GPU host cannot be reached at all (connect, auth, host key, dropped session). */
export class HostUnreachableError extends Error {
  override readonly name = 'HostUnreachableError';
  /** True when the failure came before the command reached the host, so it certainly did not run. */
  readonly beforeCommand: boolean;
  constructor(readonly host: string, message: string, options?: { cause?: unknown; beforeCommand?: boolean }) {
    super(`${host}: ${message}`, options);
    this.beforeCommand = options?.beforeCommand ?? false;
  }
}

export function tail(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : text.slice(text.length - maxChars);
}

function shorten(command: string): string {
  return command.length <= 160 ? command : `${command.slice(0, 157)}...`;
}
