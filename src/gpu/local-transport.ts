import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { effectiveSignal } from './abort-scope.js';
import { copyStream } from './copy-stream.js';
import { kindOfMode } from './entry-kind.js';
import { RemoteCommandError } from './remote-command-error.js';
import type { ExecOptions, ExecResult, GpuHostTransport, TransferOptions } from './transport.js';

/** The orchestrator runs on the GPU box itself: commands are spawned without a shell, files copied locally. */
export function createLocalTransport(hostName: string): GpuHostTransport {
  return {
    hostName,
    exec: (argv, options) => execLocal(hostName, argv, options),
    upload: (from, to, options) => copyFile(from, to, options),
    download: (from, to, options) => copyFile(from, to, options),
    async writeFile(path, data, options) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, data, options?.mode === undefined ? {} : { mode: options.mode });
      if (options?.mode !== undefined) await chmod(path, options.mode);
    },
    async readRange(path, offset, maxBytes) {
      const handle = await open(path, 'r');
      try {
        const buffer = Buffer.alloc(maxBytes);
        const { bytesRead } = await handle.read(buffer, 0, maxBytes, offset);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    async stat(path) {
      try {
        return { size: (await stat(path)).size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async listDir(path) {
      const names = await readdir(path);
      return Promise.all(names.map(async (name) => {
        const info = await lstat(`${path}/${name}`);
        const kind = kindOfMode(info.mode);
        return { name, size: info.size, isDirectory: kind === 'directory', kind };
      }));
    },
    mkdirp: async (path) => { await mkdir(path, { recursive: true }); },
    async symlink(target, linkPath) {
      await rm(linkPath, { force: true });
      await symlink(target, linkPath);
    },
    rename: (from, to) => rename(from, to),
    close: async () => {},
  };
}

async function copyFile(from: string, to: string, options?: TransferOptions) {
  await mkdir(dirname(to), { recursive: true });
  const { size } = await stat(from);
  const signal = effectiveSignal(options?.signal);
  return copyStream(createReadStream(from), createWriteStream(to), size, { ...options, ...(signal ? { signal } : {}) });
}

function execLocal(hostName: string, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (!command) throw new Error('exec needs a command');
  return new Promise((resolve, reject) => {
    const signal = effectiveSignal(options.signal);
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}), timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onOutput?.(chunk, 'stdout');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onOutput?.(chunk, 'stderr');
    });
    child.on('error', (error) => {
      reject(new RemoteCommandError({ command: argv.join(' '), host: hostName, exitCode: null, signal: null, stderr: error.message, cause: error }));
    });
    child.on('close', (code, signal) => {
      if (code !== null && (code === 0 || options.okExitCodes?.includes(code))) {
        resolve({ stdout, stderr, exitCode: code });
      } else {
        reject(new RemoteCommandError({ command: argv.join(' '), host: hostName, exitCode: code, signal, stderr }));
      }
    });
  });
}
