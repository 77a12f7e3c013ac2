import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './timing.js';

const dist = (path: string) => JSON.stringify(pathToFileURL(join(projectRoot, 'dist', 'src', path)).href);

// The app from dist/, served in a process of its own so that the load generator does not share its event loop.
const script = `
import { createApi } from ${dist('client/api/create-api.js')};
import { startApiServer } from ${dist('client/api/server.js')};
import { loadConfig } from ${dist('config.js')};
import { createDb } from ${dist('db/client.js')};
const config = loadConfig();
const { db } = createDb(config.database.url);
// No list, search or analytics route touches Temporal.
const app = createApi({ db, temporal: {}, config });
const server = await startApiServer(app, { bind: '127.0.0.1', port: 0, token: undefined });
console.log('listening ' + server.url);
// A clean exit on SIGTERM, so that --cpu-prof writes its profile.
process.on('SIGTERM', () => process.exit(0));
`;

/** Starts the API on the database of `configPath`; resolves with its URL and a stop function. */
export async function startListingsApi(configPath: string): Promise<{ url: string; stop(): Promise<void> }> {
  // e.g. BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server under the bench's load.
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    env: { ...process.env, COSMOS_CONFIG: configPath, DATABASE_URL: '', TEMPORAL_ADDRESS: '' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('listening ')) resolve(line.slice('listening '.length));
    });
    child.once('exit', (code) => reject(new Error(`the API server exited ${code} before it listened`)));
  });
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
