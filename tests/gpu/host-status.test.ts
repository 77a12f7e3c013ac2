import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedLocalHost } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import { collectHostStatus, parseContainerLines, parseGpuCsv } from '../../src/gpu/host-status.js';
import { createLocalTransport } from '../../src/gpu/local-transport.js';
import { openMigratedDb } from '../helpers/migrated-db.js';

describe('host status parsing', () => {
  it('reads every GPU line of nvidia-smi CSV, including names with commas, and [N/A] readings as unknown, not 0', () => {
    expect(parseGpuCsv('0, NVIDIA H100 80GB HBM3, 71500, 81559, 98\n1, Tesla, PCIe, 1, 81559, [N/A]\n2, NVIDIA GH200, [N/A], [N/A], 0\n')).toEqual([
      { index: 0, name: 'NVIDIA H100 80GB HBM3', memoryUsedMiB: 71500, memoryTotalMiB: 81559, utilizationPercent: 98 },
      { index: 1, name: 'Tesla, PCIe', memoryUsedMiB: 1, memoryTotalMiB: 81559, utilizationPercent: null },
      { index: 2, name: 'NVIDIA GH200', memoryUsedMiB: null, memoryTotalMiB: null, utilizationPercent: 0 },
    ]);
  });

  it('takes the run id from the cosmos.run_id label of docker ps JSON lines', () => {
    const line = JSON.stringify({ ID: 'abc', Names: 'cosmos-transfer-rs_1', Image: 'img', State: 'exited', Status: 'Exited (0) 1 minute ago', Labels: 'cosmos.model_type=transfer,cosmos.run_id=rs_1' });
    expect(parseContainerLines(`${line}\n\n`)).toEqual([
      { id: 'abc', name: 'cosmos-transfer-rs_1', runId: 'rs_1', image: 'img', state: 'exited', status: 'Exited (0) 1 minute ago' },
    ]);
  });
});

describe('collectHostStatus', () => {
  let db: Db;
  let close: () => Promise<void>;
  beforeAll(async () => ({ db, close } = await openMigratedDb()));
  afterAll(() => close?.());

  it('reports a host whose tools cannot run as unreachable, with the reason', async () => {
    const host = { ...simulatedLocalHost('/nonexistent-data-dir'), name: 'broken' };
    const status = await collectHostStatus(db, host, createLocalTransport('broken'));
    expect(status).toMatchObject({ host: 'broken', reachable: false, gpus: [], containers: [] });
    expect(status.error).toMatch(/nvidia-smi|docker/);
  });
});
