import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

async function configFile(toml: string): Promise<{ env: NodeJS.ProcessEnv; cwd: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'cosmos-config-'));
  await writeFile(join(cwd, 'cosmos.toml'), toml);
  return { env: { COSMOS_CONFIG: join(cwd, 'cosmos.toml') }, cwd };
}

describe('loadConfig', () => {
  it('with no file at all gives the embedded default: every default filled in and the simulator as a local host', () => {
    const config = loadConfig({}, '/nonexistent');
    expect(config.temporal).toMatchObject({ namespace: 'default', task_queue: 'cosmos', heartbeat_timeout: '45s', poll_interval: '2s' });
    expect(config.simulatedHost).toBe(true);
    expect(config.hosts).toEqual([expect.objectContaining({ name: 'local', transport: 'local', remote_dir: '/nonexistent/.cosmos/gpu-host' })]);
    expect(config.dataDir).toBe('/nonexistent/.cosmos');
  });

  it('lets DATABASE_URL and TEMPORAL_ADDRESS override the file', async () => {
    const { env, cwd } = await configFile('[temporal]\naddress = "file:7233"\n');
    const config = loadConfig({ ...env, TEMPORAL_ADDRESS: 'env:7233', DATABASE_URL: 'postgres://u@h/db' }, cwd);
    expect(config.temporal.address).toBe('env:7233');
    expect(config.database.url).toBe('postgres://u@h/db');
  });

  it('names the offending key when a host is incomplete', async () => {
    const { env, cwd } = await configFile('[[hosts]]\nname = "a"\nremote_dir = "/srv/c"\nhost = "gpu"\nuser = "u"\nkey_path = "/k"\n');
    expect(() => loadConfig(env, cwd)).toThrow(ConfigError);
    expect(() => loadConfig(env, cwd)).toThrow(/hosts\.0\.host_key_fingerprint: set host_key_fingerprint or known_hosts/);
  });

  it('rejects a relative remote_dir and a malformed duration', async () => {
    const { env, cwd } = await configFile('[temporal]\nheartbeat_timeout = "soon"\n[[hosts]]\nname = "a"\ntransport = "local"\nremote_dir = "rel"\n');
    expect(() => loadConfig(env, cwd)).toThrow(/temporal\.heartbeat_timeout: a duration.*hosts\.0\.remote_dir: an absolute path/);
  });
});
