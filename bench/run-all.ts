/**
 * Every benchmark of the product, one after another, each as its own process on an otherwise idle machine (they
 * measure CPU and wall time; nothing else should run). Not part of `npm test` or CI.
 *
 *   npm run bench            # builds first
 *   npx tsx bench/run-all.ts [--only transfers,control-loop,listings,cli-startup,mp4,scheduler]
 *
 * Each prints its own table, with every comparison side by side in the same run and min/median/max per figure.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from './timing.js';

const suites: Record<string, { file: string; args: string[]; what: string }> = {
  transfers: { file: 'transfers.ts', args: [], what: 'SFTP throughput against scp, sftp and paramiko, loopback and a 40 ms WAN link' },
  'control-loop': { file: 'control-loop.ts', args: [], what: 'orchestration overhead of short jobs; CPU and remote operations per run' },
  listings: { file: 'listings.ts', args: [], what: 'list, search and analytics at 100 000 runs / 20 000 prompts; 200 concurrent reads' },
  'cli-startup': { file: 'cli-startup.ts', args: [], what: 'CLI start time' },
  mp4: { file: 'mp4-hostile.ts', args: [], what: 'the MP4 probe on a hostile 2 GB header' },
  scheduler: { file: 'scheduler.ts', args: [], what: 'the shared GPU queue: mixed makespan against the greedy ideal, slot idle time on an 8-GPU host, queue estimate error' },
};

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const chosen = values.only ? values.only.split(',') : Object.keys(suites);
for (const name of chosen) if (!suites[name]) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(suites).join(', ')}`);

const failed: string[] = [];
for (const name of chosen) {
  const suite = suites[name]!;
  console.log(`\n=== ${name}: ${suite.what}`);
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', suite.file), ...suite.args], { cwd: projectRoot, stdio: 'inherit' });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  console.log(`=== ${name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (code !== 0) failed.push(name);
}
if (failed.length) {
  console.error(`\nbenchmarks that failed: ${failed.join(', ')}`);
  process.exit(1);
}
