import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type GpuHostConfig } from '../../../src/config.js';
import type { HostDoctorReport } from '../../../src/gpu/doctor/index.js';
import { schedulingBlocks } from '../../../src/gpu/doctor/readiness.js';
import { fail, ok, warn, type DoctorCheck } from '../../../src/gpu/doctor/types.js';

/** A local host serving Transfer1's three model types from one image and Transfer2.5 from its own. */
async function hostConfig(): Promise<GpuHostConfig> {
  const cwd = await mkdtemp(join(tmpdir(), 'cosmos-readiness-'));
  await writeFile(join(cwd, 'cosmos.toml'), [
    '[[hosts]]', 'name = "a"', 'transport = "local"', 'remote_dir = "/srv/cosmos"', 'image = "cosmos-transfer1:test"',
    '[hosts.models.transfer]', '[hosts.models.enhance]', '[hosts.models.upscale]',
    '[hosts.models."transfer2.5"]', 'image = "cosmos-transfer2.5:test"', '',
  ].join('\n'));
  return loadConfig({ COSMOS_CONFIG: join(cwd, 'cosmos.toml') }, cwd).hosts[0]!;
}
const report = (checks: DoctorCheck[]): HostDoctorReport => ({ host: 'a', ready: checks.every((c) => c.verdict !== 'fail'), checks });

describe('what of a readiness report holds work back from a host', () => {
  it('a missing image stops exactly the model types that run it', async () => {
    const blocks = schedulingBlocks(await hostConfig(), report([
      ok('docker', null, 'Docker 27.3.1'),
      fail('image', 'cosmos-transfer1:test', 'No such image: cosmos-transfer1:test (needed by transfer, enhance, upscale)', 'build it'),
      ok('image', 'cosmos-transfer2.5:test', 'present'),
    ]));
    const line = 'image cosmos-transfer1:test: No such image: cosmos-transfer1:test (needed by transfer, enhance, upscale)';
    expect(blocks).toEqual({ host: null, models: { transfer: line, enhance: line, upscale: line } });
  });

  it('Docker down or too little disk stop the whole host', async () => {
    const host = await hostConfig();
    expect(schedulingBlocks(host, report([
      fail('docker', null, 'the Docker daemon is not running: Cannot connect', 'start it'),
      fail('disk', '/srv/cosmos', '2.0 GiB free of 100 GiB on /srv: too little', 'free space'),
    ]))).toEqual({ host: 'docker: the Docker daemon is not running: Cannot connect; disk /srv/cosmos: 2.0 GiB free of 100 GiB on /srv: too little', models: {} });
  });

  it('missing checkpoint files stop only the model type that needs them', async () => {
    expect(schedulingBlocks(await hostConfig(), report([
      fail('checkpoints', 'upscale', 'missing or empty under /srv/cosmos/checkpoints: nvidia/Cosmos-Transfer1-7B/4kupscaler_control.pt', 'download them'),
      ok('checkpoints', 'transfer', 'all 9 files under /srv/cosmos/checkpoints'),
    ]))).toEqual({ host: null, models: { upscale: 'checkpoints upscale: missing or empty under /srv/cosmos/checkpoints: nvidia/Cosmos-Transfer1-7B/4kupscaler_control.pt' } });
  });

  it('failures the lease check or the job itself handle (a foreign GPU process, nvidia-smi, the HF cache, checkpoints still to fetch, a check that could not run, a remote_dir not made yet) and warnings hold nothing back', async () => {
    expect(schedulingBlocks(await hostConfig(), report([
      fail('gpu', '0', 'a compute process that is not ours runs on it: python (pid 77)', 'stop it'),
      fail('gpus', null, 'nvidia-smi could not be read: NVML mismatch', 'reboot'),
      fail('hf-cache', 'transfer', '/srv/hf lacks facebook/sam2', 'fetch it'),
      warn('checkpoints', 'transfer2.5', 'not yet in the Hugging Face cache /srv/hf: nvidia/Cosmos-Transfer2.5-2B; the first run fetches them', 'fetch them now'),
      fail('checkpoints', null, 'the check could not run: sh: timed out', 'run cosmos doctor'),
      fail('disk', '/srv/cosmos', 'remote_dir cannot be read: df: /srv/cosmos: No such file or directory', 'create it'),
      warn('disk', '/srv/cosmos', '40 GiB free', 'free space'),
    ]))).toBeNull();
  });

  it('a host that did not answer is left to the unreachable mark, not called unready', async () => {
    expect(schedulingBlocks(await hostConfig(), report([fail('ssh', null, 'cannot reach the host: ECONNREFUSED', 'check it')]))).toBeNull();
  });
});
