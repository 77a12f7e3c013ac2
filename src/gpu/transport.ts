export interface ExecOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Exit codes that resolve instead of throwing (0 always does). */
  okExitCodes?: number[];
  /** Let the command finish even if the connection drops (e.g. `docker run`, which must not die half-way). */
  survivesDisconnect?: boolean;
  /** Called with output as it arrives, for long commands such as `docker logs -f`. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export interface ExecResult { stdout: string; stderr: string; exitCode: number }

export interface TransferOptions {
  signal?: AbortSignal;
  onProgress?: (transferred: number, total: number) => void;
  /** Bytes per second; unset = as fast as the link allows. */
  rateLimit?: number;
  /** A download that would bring more than this many bytes stops with TransferTooLargeError before it does. */
  maxBytes?: number;
}

export interface TransferResult { bytes: number; sha256: string }

/** A directory entry's own type (lstat: a symbolic link is a `symlink`, never what it points to). */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'fifo' | 'socket' | 'block_device' | 'char_device' | 'unknown';

export interface DirEntry { name: string; size: number; isDirectory: boolean; kind: EntryKind }

/**
 * How the orchestrator reaches a GPU host: over SSH/SFTP, or directly when it runs on the box itself.
 * Commands are argv arrays; the SSH transport quotes every argument, the local one never uses a shell.
 */
export interface GpuHostTransport {
  readonly hostName: string;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  upload(localPath: string, remotePath: string, options?: TransferOptions): Promise<TransferResult>;
  download(remotePath: string, localPath: string, options?: TransferOptions): Promise<TransferResult>;
  /** `mode` (e.g. 0o600 for a file holding secrets) is set whether the file is new or not. */
  writeFile(remotePath: string, data: string | Uint8Array, options?: { mode?: number }): Promise<void>;
  /** Reads up to maxBytes starting at offset; an empty buffer at or past the end. */
  readRange(remotePath: string, offset: number, maxBytes: number): Promise<Buffer>;
  stat(remotePath: string): Promise<{ size: number } | null>;
  /** Entries as lstat sees them: sizes and kinds of the entries themselves, no link is followed. */
  listDir(remotePath: string): Promise<DirEntry[]>;
  /** Creates the folder and any missing parents; one that exists already is fine. */
  mkdirp(remotePath: string): Promise<void>;
  /** Points `linkPath` at `target`, replacing whatever link or file had that name (like `ln -sfn`). */
  symlink(target: string, linkPath: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  close(): Promise<void>;
}

/** A file that turned out bigger than it may be (it grew, or was swapped for something else, after it was listed). */
export class TransferTooLargeError extends Error {
  override readonly name = 'TransferTooLargeError';
}
