import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSim, waitForExitCode, type Sim } from './helpers.js';

vi.setConfig({ testTimeout: 30_000 });

let sim: Sim;
beforeEach(async () => {
  sim = await createSim({ gpus: 2 });
});
afterEach(async () => {
  await sim.cleanup();
});

const QUERY = '--query-gpu=index,name,uuid,memory.used,memory.total,utilization.gpu,temperature.gpu,power.draw';

function parseRows(stdout: string): string[][] {
  return stdout.trim().split('\n').map((line) => line.split(', '));
}

describe('simulated nvidia-smi', () => {
  it('reports every GPU, and a GPU as busy while a running container holds it', async () => {
    const idle = parseRows((await sim.nvidiaSmi(QUERY, '--format=csv,noheader,nounits')).stdout);
    expect(idle.map((row) => row[0])).toEqual(['0', '1']);
    expect(idle.every((row) => row[1] === 'NVIDIA H100 80GB HBM3' && Number(row[5]) === 0)).toBe(true);

    await sim.runContainer('holder', ['sleep', '30'], ['--gpus', '"device=1"']);
    const [gpu0, gpu1] = parseRows((await sim.nvidiaSmi(QUERY, '--format=csv,noheader,nounits')).stdout);
    expect(Number(gpu0?.[3])).toBeLessThan(100);
    expect(Number(gpu1?.[3])).toBeGreaterThanOrEqual(70_000);
    expect(Number(gpu1?.[3])).toBeLessThanOrEqual(80_000);
    expect(Number(gpu1?.[4])).toBe(81559);
    expect(Number(gpu1?.[5])).toBeGreaterThanOrEqual(95);
    expect(gpu1?.[2]).toMatch(/^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(gpu1?.[2]).not.toBe(gpu0?.[2]);

    await sim.docker('kill', 'holder');
    await waitForExitCode(sim, 'holder');
    const after = parseRows((await sim.nvidiaSmi(QUERY, '--format=csv,noheader,nounits')).stdout);
    expect(Number(after[1]?.[5])).toBe(0);
  });

  it('prints a header and units unless told not to, in the order asked', async () => {
    const result = await sim.nvidiaSmi('--query-gpu=memory.used,index', '--format=csv');
    const [header, first] = result.stdout.split('\n');
    expect(header).toBe('memory.used [MiB], index');
    expect(first).toMatch(/^\d+ MiB, 0$/);
    expect((await sim.nvidiaSmi('--query-gpu', 'utilization.gpu', '--format', 'csv,noheader')).stdout).toBe('0 %\n0 %\n');
  });

  it('rejects an unknown field with exit 2', async () => {
    const result = await sim.nvidiaSmi('--query-gpu=index,bogus.field', '--format=csv');
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Field "bogus.field" is not a valid field to query.');
  });

  it('prints a summary table without arguments and a list with -L', async () => {
    const table = await sim.nvidiaSmi();
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('NVIDIA-SMI');
    expect(table.stdout.match(/NVIDIA H100 80GB HBM3/g)).toHaveLength(2);
    expect((await sim.nvidiaSmi('-L')).stdout).toMatch(/^GPU 0: NVIDIA H100 80GB HBM3 \(UUID: GPU-[0-9a-f-]+\)\nGPU 1: /);
  });

  it('follows a changed GPU count in sim.json without reinstalling', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${sim.home}/sim.json`, JSON.stringify({ gpus: 4, timeScale: 0.002, gpuName: 'NVIDIA A100-SXM4-80GB' }));
    const rows = parseRows((await sim.nvidiaSmi('--query-gpu=index,name', '--format=csv,noheader')).stdout);
    expect(rows).toEqual([0, 1, 2, 3].map((i) => [String(i), 'NVIDIA A100-SXM4-80GB']));
  });
});
