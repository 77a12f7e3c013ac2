import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './pipeline-harness.js';

export interface CosmosResult { code: number; stdout: string; stderr: string }

const entry = join(projectRoot, 'bin', 'cosmos.js');

function cosmosEnv(configPath: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, COSMOS_CONFIG: configPath, NO_COLOR: '1', DATABASE_URL: '', TEMPORAL_ADDRESS: '', COSMOS_DATA_DIR: '', ...extra };
}

/** Runs the built `cosmos` executable as a separate process, the way a user or a script does. */
export function runCosmos(configPath: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CosmosResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [entry, ...args], { env: cosmosEnv(configPath, options.env), cwd: options.cwd ?? projectRoot, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** For commands that stream (`logs -f`): the caller reads stdout as it arrives. */
export function spawnCosmos(configPath: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [entry, ...args], { env: cosmosEnv(configPath), cwd: projectRoot });
}

export function parseJson<T>(result: CosmosResult): T {
  if (result.code !== 0) throw new Error(`cosmos exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
