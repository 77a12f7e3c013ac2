import { cancellationSignal, heartbeat } from '@temporalio/activity';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { hashFile } from '../core/file-hash.js';
import type { OutputFile } from '../db/schema.js';
import { HostUnreachableError } from '../gpu/remote-command-error.js';
import { sha256OfRegularFilesOnHost } from '../gpu/regular-file-hash.js';
import { checkOutputEntries, refuseOutput } from './output-entries.js';
import type { GpuHost } from './deps.js';

/**
 * Copies every file of a remote folder into a local one, each through a partial name, and checks it against the
 * host's size and sha256 before it takes its real name. Only regular files within the host's size caps are fetched
 * (output-entries.ts). `pick` keeps the files of one item (by name prefix) and names them locally.
 */
export async function fetchVerifiedFiles(
  { config, transport }: GpuHost, remoteDir: string, localDir: string, pick: { prefix?: string; localName?: (name: string) => string } = {},
): Promise<OutputFile[]> {
  await mkdir(localDir, { recursive: true });
  const listed = await transport.listDir(remoteDir).catch((error: unknown) => {
    // A folder the job never made means no outputs; a dropped link is not "no outputs".
    if (error instanceof HostUnreachableError) throw error;
    return [];
  });
  // In a flat folder shared by a job's items, only this item's files are looked at (and fetched).
  const own = pick.prefix === undefined ? listed : listed.filter((entry) => entry.name.startsWith(pick.prefix!));
  const entries = checkOutputEntries(own, { host: config.name, maxFileBytes: config.max_output_file_size, maxRunBytes: config.max_run_output_size });
  const fetched: { name: string; remotePath: string; localPath: string; partial: string; size: number; got: { bytes: number; sha256: string } }[] = [];
  const files: OutputFile[] = [];
  try {
    for (const entry of entries) {
      const remotePath = `${remoteDir}/${entry.name}`;
      const name = pick.localName?.(entry.name) ?? entry.name;
      const localPath = `${localDir}/${name}`;
      const partial = `${localPath}.partial`;
      fetched.push({ name, remotePath, localPath, partial, size: entry.size, got: { bytes: 0, sha256: '' } });
      fetched.at(-1)!.got = await transport.download(remotePath, partial, {
        // Never more than was listed: a file swapped after the listing (a link to /dev/zero) cannot stream for ever.
        maxBytes: entry.size,
        signal: cancellationSignal(),
        ...(config.transfer_rate_limit ? { rateLimit: config.transfer_rate_limit } : {}),
        onProgress: (bytes) => heartbeat({ phase: 'downloading', file: entry.name, bytes }),
      });
    }
    // Every file's host-side hash in one command, after all were copied.
    const hashes = await sha256OfRegularFilesOnHost(transport, fetched.map((f) => f.remotePath));
    for (const [i, file] of fetched.entries()) {
      const remoteHash = hashes[i];
      const remoteName = file.remotePath.slice(remoteDir.length + 1);
      if (remoteHash === null || remoteHash === undefined) {
        throw refuseOutput(`output ${remoteName} on ${config.name} is no longer a regular file; only regular files are downloaded`);
      }
      if (file.got.bytes !== file.size || file.got.sha256 !== remoteHash) {
        throw new Error(`${remoteName} arrived damaged (${file.got.bytes}/${file.size} bytes, sha256 ${file.got.sha256} vs ${remoteHash}); retrying`);
      }
    }
    for (const file of fetched) {
      await rename(file.partial, file.localPath);
      files.push({ name: file.name, path: file.localPath, bytes: file.got.bytes, sha256: file.got.sha256 });
    }
  } catch (error) {
    // A failed download (dropped link, full disk, damage) leaves nothing behind: no partial file, and none of the
    // files this attempt already fetched (unrecorded, and the next attempt fetches them again).
    for (const file of fetched) await rm(file.partial, { force: true });
    for (const file of files) await rm(file.path, { force: true });
    throw error;
  }
  return files;
}

/** Adds local files (spec, log) to the list and writes manifest.json: name, bytes and sha256 of every file. */
export async function writeManifest(runId: string, runDir: string, files: OutputFile[], localNames: string[]): Promise<OutputFile[]> {
  const all = [...files];
  for (const name of localNames) {
    const path = `${runDir}/${name}`;
    all.push({ name, path, ...(await hashFile(path)) });
  }
  const manifest = all.map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 }));
  // Written aside and renamed: a full disk leaves no half-written manifest.
  const partial = `${runDir}/manifest.json.partial`;
  try {
    await writeFile(partial, `${JSON.stringify({ runId, files: manifest }, null, 2)}\n`);
    await rename(partial, `${runDir}/manifest.json`);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return all;
}

/** Names of the entries in a job's outputs folder and one level of sub-folders (`video_0/output.mp4`). */
export async function listOutputNames({ transport }: GpuHost, outputsDir: string): Promise<string[]> {
  const top = await transport.listDir(outputsDir).catch((error: unknown) => {
    if (error instanceof HostUnreachableError) throw error;
    return [];
  });
  const names: string[] = [];
  for (const entry of top) {
    if (entry.kind === 'directory') {
      for (const inner of await transport.listDir(`${outputsDir}/${entry.name}`).catch(() => [])) names.push(`${entry.name}/${inner.name}`);
    } else names.push(entry.name);
  }
  return names;
}
