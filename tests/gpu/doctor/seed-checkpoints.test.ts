import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHostConfig } from '../../../src/config.js';
import { checkCheckpoints } from '../../../src/gpu/doctor/checkpoints.js';
import { seedCheckpoints } from '../../../src/gpu/doctor/seed-checkpoints.js';
import type { DoctorContext } from '../../../src/gpu/doctor/types.js';
import { createLocalTransport } from '../../../src/gpu/local-transport.js';
import { hostServes, hostSettingsFor, listModelTypes } from '../../../src/models/index.js';

describe('placeholder checkpoints on a simulated host', () => {
  const dirs: string[] = [];
  afterAll(async () => { for (const dir of dirs) await rm(dir, { recursive: true, force: true }); });

  async function localHost(extra: Record<string, unknown> = {}) {
    const dir = await mkdtemp(join(tmpdir(), 'cosmos-seed-'));
    dirs.push(dir);
    return { dir, host: parseHostConfig({ name: 'sim', transport: 'local', remote_dir: join(dir, 'remote'), ...extra }) };
  }

  async function doctorCheckpoints(host: ReturnType<typeof parseHostConfig>) {
    const transport = createLocalTransport(host.name);
    try {
      const context = {
        host, transport, user: '', deep: false, gpus: null, ours: null,
        served: listModelTypes().filter((m) => hostServes(host, m.name)).map((model) => ({ model, settings: hostSettingsFor(host, model.name) })),
      } as DoctorContext;
      return await checkCheckpoints(context);
    } finally {
      await transport.close();
    }
  }

  it('makes the doctor find every checkpoint file a folder model needs, and keeps files already there', async () => {
    const { host } = await localHost();
    expect((await doctorCheckpoints(host)).filter((c) => c.verdict === 'fail').length).toBeGreaterThan(0);

    const made = await seedCheckpoints(host);
    expect(made.length).toBeGreaterThan(0);
    const checks = await doctorCheckpoints(host);
    expect(checks.filter((c) => c.verdict === 'fail')).toEqual([]);
    expect(checks.filter((c) => c.verdict === 'ok').length).toBeGreaterThan(0);

    await writeFile(made[0]!, 'real weights');
    expect(await seedCheckpoints(host)).toEqual([]);
    expect(await readFile(made[0]!, 'utf8')).toBe('real weights');
  });

  it('seeds the folder a model type names for itself, not the default one', async () => {
    const { dir } = await localHost();
    const own = parseHostConfig({ name: 'sim', transport: 'local', remote_dir: join(dir, 'remote'), models: { transfer: { checkpoints: join(dir, 'own-ckpt') } } });
    const made = await seedCheckpoints(own);
    expect(made.every((path) => path.startsWith(join(dir, 'own-ckpt')))).toBe(true);
    expect((await stat(join(dir, 'own-ckpt'))).isDirectory()).toBe(true);
    expect((await doctorCheckpoints(own)).filter((c) => c.verdict === 'fail')).toEqual([]);
  });
});
