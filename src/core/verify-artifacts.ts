import { lstat, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Db } from '../db/client.js';
import { isEntityId } from '../db/ids.js';
import { findExistingRunIds, listRunsWithOutputs, setRunOutputFiles } from '../db/queries/maintenance.js';
import { findRun } from '../db/queries/runs.js';
import type { OutputFile } from '../db/schema.js';
import { hashFile } from './file-hash.js';

/**
 * - missing: a file the DB records is not on disk
 * - tampered: it is there but its size or sha256 differs from what was verified at download
 * - manifest: a run's manifest.json is missing or disagrees with the DB
 * - orphan: a run folder under <data_dir>/runs/ with no run in the DB
 */
export type ArtifactProblemKind = 'missing' | 'tampered' | 'manifest' | 'orphan';

export interface ArtifactProblem {
  kind: ArtifactProblemKind;
  runId: string;
  path: string;
  /** The recorded file's name, for missing and tampered files. */
  file: string | null;
  detail: string;
}

export interface VerifyReport { runsChecked: number; filesChecked: number; problems: ArtifactProblem[] }

export interface FixedProblem { problem: ArtifactProblem; action: string }

const manifestName = 'manifest.json';

/** Compares every run's recorded files with the disk and its manifest, and looks for folders without a run. */
export async function verifyArtifacts(db: Db, dataDir: string): Promise<VerifyReport> {
  const problems: ArtifactProblem[] = [];
  let filesChecked = 0;
  const rows = await listRunsWithOutputs(db);
  for (const row of rows) {
    const files = row.outputs?.files ?? [];
    for (const file of files) {
      filesChecked += 1;
      const problem = await checkFile(row.id, file);
      if (problem) problems.push(problem);
    }
    if (row.outputs?.runDir && row.status === 'completed') {
      const problem = await checkManifest(row.id, row.outputs.runDir, files);
      if (problem) problems.push(problem);
    }
  }
  problems.push(...await findOrphanFolders(db, runsRoot(dataDir)));
  return { runsChecked: rows.length, filesChecked, problems };
}

/**
 * Acts on exactly the problems given (those a report listed): forgets missing files, deletes tampered ones
 * and forgets them, rewrites manifests from what the DB then records, removes orphan folders.
 */
export async function fixArtifactProblems(db: Db, dataDir: string, problems: ArtifactProblem[]): Promise<FixedProblem[]> {
  const fixed: FixedProblem[] = [];
  const manifestsToWrite = new Set<string>();
  for (const problem of problems) {
    if (problem.kind === 'orphan') {
      const root = runsRoot(dataDir);
      const target = resolve(problem.path);
      if (!target.startsWith(`${root}${sep}`)) throw new Error(`refusing to remove ${target}: it is outside ${root}`);
      await rm(target, { recursive: true, force: true });
      fixed.push({ problem, action: 'removed the folder' });
      continue;
    }
    const run = await findRun(db, problem.runId);
    if (!run?.outputs) continue;
    if (problem.kind === 'missing' || problem.kind === 'tampered') {
      if (problem.kind === 'tampered') await rm(problem.path, { force: true });
      await setRunOutputFiles(db, run.id, run.outputs.files.filter((f) => f.name !== problem.file));
      fixed.push({ problem, action: problem.kind === 'tampered' ? 'deleted the file and removed it from the run\'s outputs' : 'removed it from the run\'s outputs' });
      if (run.status === 'completed') manifestsToWrite.add(run.id);
    } else {
      manifestsToWrite.add(run.id);
      fixed.push({ problem, action: 'rewrote manifest.json from the database' });
    }
  }
  for (const runId of manifestsToWrite) {
    const run = await findRun(db, runId);
    if (run?.outputs) await writeManifest(run.id, run.outputs.runDir, run.outputs.files);
  }
  return fixed;
}

async function checkFile(runId: string, file: OutputFile): Promise<ArtifactProblem | null> {
  // lstat: a recorded file swapped for a link is tampered even when what it points to has the same bytes.
  const info = await lstat(file.path).catch(() => null);
  const base = { runId, path: file.path, file: file.name };
  if (!info) return { ...base, kind: 'missing', detail: `${file.name} is recorded but not on disk` };
  if (info.isSymbolicLink()) return { ...base, kind: 'tampered', detail: `${file.name} is now a symbolic link, not the file that was downloaded` };
  if (!info.isFile()) return { ...base, kind: 'tampered', detail: `${file.name} is no longer a regular file` };
  if (info.size !== file.bytes) return { ...base, kind: 'tampered', detail: `${file.name} has ${info.size} bytes, ${file.bytes} recorded` };
  const { sha256 } = await hashFile(file.path);
  if (sha256 !== file.sha256) return { ...base, kind: 'tampered', detail: `${file.name} sha256 ${sha256.slice(0, 12)}… differs from the recorded ${file.sha256.slice(0, 12)}…` };
  return null;
}

async function checkManifest(runId: string, runDir: string, files: OutputFile[]): Promise<ArtifactProblem | null> {
  const path = join(runDir, manifestName);
  const text = await readFile(path, 'utf8').catch(() => null);
  const base = { runId, path, file: null, kind: 'manifest' as const };
  if (text === null) return { ...base, detail: 'manifest.json is missing' };
  let listed: { name: string; bytes: number; sha256: string }[];
  try {
    listed = (JSON.parse(text) as { files: typeof listed }).files;
    if (!Array.isArray(listed)) throw new Error('no files array');
  } catch {
    return { ...base, detail: 'manifest.json is not valid JSON with a files list' };
  }
  const key = (f: { name: string; bytes: number; sha256: string }) => `${f.name}\u0000${f.bytes}\u0000${f.sha256}`;
  const recorded = new Set(files.map(key));
  const inManifest = new Set(listed.map(key));
  const differs = recorded.size !== inManifest.size || [...recorded].some((k) => !inManifest.has(k));
  return differs ? { ...base, detail: 'manifest.json disagrees with the files the database records' } : null;
}

async function findOrphanFolders(db: Db, root: string): Promise<ArtifactProblem[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const candidates = entries.filter((e) => e.isDirectory() && isEntityId(e.name, 'rs')).map((e) => e.name);
  const existing = await findExistingRunIds(db, candidates);
  return candidates.filter((id) => !existing.has(id)).sort().map((id) => ({
    kind: 'orphan' as const, runId: id, path: join(root, id), file: null, detail: `no run ${id} in the database`,
  }));
}

async function writeManifest(runId: string, runDir: string, files: OutputFile[]): Promise<void> {
  const manifest = files.filter((f) => f.name !== manifestName).map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 }));
  await writeFile(join(runDir, manifestName), `${JSON.stringify({ runId, files: manifest }, null, 2)}\n`);
}

const runsRoot = (dataDir: string) => resolve(dataDir, 'runs');
