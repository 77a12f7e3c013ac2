import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId } from '../../src/db/ids.js';
import type { HostStatus } from '../../src/gpu/host-status.js';
import { createPipelineHarness, demoInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos, type CosmosResult } from '../helpers/run-cosmos.js';
import { seedRun } from '../helpers/seed-records.js';

const exec = promisify(execFile);

describe('cosmos status against a 2-GPU simulated host (built executable, real stack)', () => {
  let h: PipelineHarness;
  let finishedRunId: string;
  let zombieRunId: string;
  const orphanRunId = newRunId();
  const orphanName = `cosmos-transfer-${orphanRunId}`;
  const cosmos = (...args: string[]): Promise<CosmosResult> => runCosmos(h.configPath, args);

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local', sim: { gpus: 2 } });
    await h.startWorker();
    const promptId = parseJson<{ prompt: { id: string } }>(await cosmos('create', 'prompt', 'a quiet pier at night', demoInputs, '--json')).prompt.id;
    finishedRunId = parseJson<{ run: { id: string } }>(await cosmos('inference', promptId, '--wait', '--json')).run.id;
    // A container of ours that no running run owns, and a run the database calls running whose container is gone.
    await exec(join(h.simHome, 'bin', 'docker'), ['run', '-d', '--name', orphanName, '--label', `cosmos.run_id=${orphanRunId}`, '-v', `${join(h.dir, 'orphan')}:/workspace`, '-w', '/workspace', 'img', 'bash', '-c', 'sleep 60']);
    zombieRunId = (await seedRun(h.db, promptId, {
      status: 'running', stage: 'generating', progress: 0.4, gpuHost: h.hostName, startedAt: new Date(), containerName: `cosmos-transfer-${newRunId()}`,
    })).id;
  });
  afterAll(async () => {
    await exec(join(h.simHome, 'bin', 'docker'), ['kill', orphanName]).catch(() => undefined);
    await h?.close();
  });

  it('reports both GPUs, our containers, the planted orphan container and the planted zombie run as JSON', async () => {
    const { hosts } = parseJson<{ hosts: HostStatus[] }>(await cosmos('status', '--json'));
    expect(hosts).toHaveLength(1);
    const [host] = hosts as [HostStatus];
    expect(host).toMatchObject({ host: h.hostName, reachable: true, error: null });
    expect(host.gpus.map((g) => g.index)).toEqual([0, 1]);
    expect(host.gpus[1]).toMatchObject({ name: expect.stringContaining('H100'), memoryTotalMiB: expect.any(Number) });
    expect(host.containers.map((c) => c.runId).sort()).toEqual([finishedRunId, orphanRunId].sort());
    expect(host.orphanContainers).toEqual([expect.objectContaining({ name: orphanName, runId: orphanRunId, state: 'running' })]);
    expect(host.zombieRuns).toEqual([expect.objectContaining({ id: zombieRunId, stage: 'generating' })]);
  });

  it('prints the same as a readable report', async () => {
    const result = await cosmos('status', '--host', h.hostName);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${h.hostName} reachable · 2 GPU(s)`);
    expect(result.stdout).toMatch(/^ {2}0 +NVIDIA H100/m);
    expect(result.stdout).toMatch(/^ {2}1 +NVIDIA H100/m);
    expect(result.stdout).toContain(`orphan container ${orphanName}`);
    expect(result.stdout).toContain(`zombie run ${zombieRunId} (generating)`);
    expect(result.stdout).not.toContain(`zombie run ${finishedRunId}`);
  });

  it('refuses an unknown host and stray arguments', async () => {
    expect(await cosmos('status', '--host', 'nope')).toMatchObject({ code: 1, stderr: `cosmos: GPU host "nope" is not configured (known: ${h.hostName})\n` });
    expect(await cosmos('status', 'now')).toMatchObject({ code: 2, stderr: expect.stringContaining('status takes no arguments') });
  });
});
