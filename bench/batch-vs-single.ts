// A 4-item batch against 4 single inferences on one simulated GPU with a model-load time, on the real stack.
// Run: npx tsc -p tsconfig.json && npx tsx bench/batch-vs-single.ts
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBatch, startInference, waitForRun, workflowIdForBatch } from '../src/client/runs.js';
import { connectTemporal } from '../src/client/temporal.js';
import { seedCheckpoints } from '../src/gpu/doctor/seed-checkpoints.js';
import { loadConfig } from '../src/config.js';
import { createPrompt } from '../src/core/create-prompt.js';
import { createDb } from '../src/db/client.js';
import { findProjectRoot } from '../src/paths.js';
import { startEmbeddedStack } from '../src/services/embedded-stack.js';
import { startWorker } from '../src/worker.js';
import { installSimulator, readStartRecord } from '../simulator/install.js';
import { printTable } from './print-table.js';

const items = 4;
const sim = { gpus: 1, timeScale: 0.01, modelLoadSeconds: 180, secondsPerChunk: 540 };

Runtime.install({ logger: new DefaultLogger('ERROR') });
const dir = await mkdtemp(join(tmpdir(), 'cosmos-bench-'));
await chmod(dir, 0o755);
const installed = await installSimulator(join(dir, 'sim'), sim);
await writeFile(join(dir, 'cosmos.toml'), [
  `data_dir = "${join(dir, 'data')}"`,
  '[temporal]', 'poll_interval = "200ms"',
  '[[hosts]]', 'name = "bench"', 'transport = "local"', `remote_dir = "${join(dir, 'gpu-host')}"`,
  `docker = "${installed.dockerBin}"`, `nvidia_smi = "${installed.nvidiaSmiBin}"`, '',
].join('\n'));
const config = loadConfig({ COSMOS_CONFIG: join(dir, 'cosmos.toml') }, dir);
for (const host of config.hosts) await seedCheckpoints(host);
const stack = await startEmbeddedStack(config);
const worker = await startWorker(config, stack);
const { db, close } = createDb(stack.databaseUrl);
const temporal = await connectTemporal({ address: stack.temporalAddress, namespace: 'default' });
const deps = { db, temporal: temporal.client, config };
const videoDir = join(findProjectRoot(), 'samples', 'demo');

try {
  const prompts = [];
  for (let i = 0; i < items; i++) prompts.push((await createPrompt(db, { text: `bench item ${i}: a quiet street`, videoDir }, { negativePrompt: 'n' })).prompt);

  let started = Date.now();
  const { batch } = await startBatch(deps, { promptIds: prompts.map((p) => p.id) });
  await temporal.client.workflow.getHandle(workflowIdForBatch(batch.id)).result();
  const batchSeconds = (Date.now() - started) / 1000;

  started = Date.now();
  const singles = await Promise.all(prompts.map((p) => startInference(deps, { promptId: p.id })));
  const done = await Promise.all(singles.map(({ run }) => waitForRun(deps, run.id)));
  const singleSeconds = (Date.now() - started) / 1000;
  if (done.some((r) => r.status !== 'completed')) throw new Error('a single run failed');

  const starts = await readStartRecord(installed.home);
  const load = sim.modelLoadSeconds * sim.timeScale;
  const chunk = sim.secondsPerChunk * sim.timeScale;
  console.log(`\n${items} items, 1 GPU, simulated model load ${load.toFixed(1)} s and ${chunk.toFixed(1)} s per chunk (time scale ${sim.timeScale})\n`);
  printTable(['mode', 'wall time (s)', 'containers', 'model loads'], [
    ['one batch container', batchSeconds.toFixed(1), String(starts.filter((s) => s.name.includes(batch.id)).length), '1'],
    [`${items} single runs`, singleSeconds.toFixed(1), String(singles.length), String(items)],
  ]);
  console.log(`\nbatch / singles = ${(batchSeconds / singleSeconds).toFixed(2)}\n`);
} finally {
  await temporal.close();
  await close();
  await worker.shutdown();
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
