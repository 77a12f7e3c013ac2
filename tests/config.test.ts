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

  it('refuses an unknown key, naming it and the nearest valid one (a typo must not leave the API without a token)', async () => {
    const { env, cwd } = await configFile('[api]\ntokn = "0123456789abcdef0123"\n');
    expect(() => loadConfig(env, cwd)).toThrow(/api\.tokn: unknown key "tokn" \(did you mean "token"\?\)/);
  });

  it('refuses unknown keys at the top level and inside a host, but takes any name in a host env table', async () => {
    const { env, cwd } = await configFile('data_dri = "x"\n[[hosts]]\nname = "a"\ntransport = "local"\nremote_dir = "/srv/c"\ngpus_per_jbo = 2\nenv = { ANY_NAME = "v" }\n');
    expect(() => loadConfig(env, cwd)).toThrow(/data_dri: unknown key "data_dri" \(did you mean "data_dir"\?\); hosts\.0\.gpus_per_jbo: unknown key "gpus_per_jbo" \(did you mean "gpus_per_job"\?\)$/);
  });

  it('refuses a zero duration such as hang_timeout = "0s", which would kill every container at the first poll', async () => {
    const { env, cwd } = await configFile('[temporal]\nhang_timeout = "0s"\npoll_interval = "0ms"\n');
    expect(() => loadConfig(env, cwd)).toThrow(/temporal\.poll_interval: must be longer than 0; temporal\.hang_timeout: must be longer than 0|temporal\.hang_timeout: must be longer than 0; temporal\.poll_interval: must be longer than 0/);
  });

  it('reads output size caps as bytes or with a unit and refuses zero, negative and unitless text', async () => {
    const host = 'name = "a"\ntransport = "local"\nremote_dir = "/srv/c"\n';
    const good = await configFile(`[[hosts]]\n${host}max_output_file_size = "512MiB"\nmax_run_output_size = 2000000\n`);
    expect(loadConfig(good.env, good.cwd).hosts[0]).toMatchObject({ max_output_file_size: 512 * 2 ** 20, max_run_output_size: 2_000_000 });
    const defaults = await configFile(`[[hosts]]\n${host}`);
    expect(loadConfig(defaults.env, defaults.cwd).hosts[0]).toMatchObject({ max_output_file_size: 8 * 2 ** 30, max_run_output_size: 32 * 2 ** 30 });
    for (const [value, message] of [['"0GB"', 'must be more than 0 bytes'], ['-5', 'must be more than 0 bytes'], ['"lots"', 'a size like']] as const) {
      const bad = await configFile(`[[hosts]]\n${host}max_output_file_size = ${value}\n`);
      expect(() => loadConfig(bad.env, bad.cwd)).toThrow(`hosts.0.max_output_file_size: ${message}`);
    }
  });

  it('refuses a host env value spanning lines, which docker --env-file would split into two variables', async () => {
    const { env, cwd } = await configFile('[[hosts]]\nname = "a"\ntransport = "local"\nremote_dir = "/srv/c"\nenv = { HF_TOKEN = "abc\\nEVIL=1" }\n');
    expect(() => loadConfig(env, cwd)).toThrow(/hosts\.0\.env\.HF_TOKEN: one line without NUL bytes/);
  });

  it('refuses a GPU count per job the model cannot split a chunk over, or that does not divide the host\'s GPUs', async () => {
    const host = (extra: string) => `[[hosts]]\nname = "a"\ntransport = "local"\nremote_dir = "/srv/c"\n${extra}`;
    for (const [extra, message] of [
      ['gpus = [0, 1, 2]\ngpus_per_job = 3\n', 'hosts.0.gpus_per_job: must be 1, 2, 4 or 8'],
      ['gpus = [0, 1, 2, 3, 4, 5]\ngpus_per_job = 4\n', 'hosts.0.gpus_per_job: 4 does not divide the host\'s 6 GPUs'],
    ]) {
      const bad = await configFile(host(extra!));
      expect(() => loadConfig(bad.env, bad.cwd)).toThrow(message);
    }
    const good = await configFile(host('gpus = [0, 1, 2, 3, 4, 5, 6, 7]\ngpus_per_job = 8\n'));
    expect(loadConfig(good.env, good.cwd).hosts[0]!.gpus_per_job).toBe(8);
  });

  it('takes the model types a host serves, each with its own image and folders, and refuses one it does not know', async () => {
    const host = '[[hosts]]\nname = "a"\ntransport = "local"\nremote_dir = "/srv/c"\n';
    const good = await configFile(`${host}[hosts.models.transfer]\n[hosts.models."transfer2.5"]\nimage = "ct25:1"\nworkspace = "/srv/ct25"\nhang_timeout = "3h"\n`);
    expect(loadConfig(good.env, good.cwd).hosts[0]!.models).toEqual({
      transfer: { env: {}, mounts: [] }, 'transfer2.5': { image: 'ct25:1', workspace: '/srv/ct25', hang_timeout: '3h', env: {}, mounts: [] },
    });
    const unknown = await configFile(`${host}[hosts.models.transfer3]\n`);
    expect(() => loadConfig(unknown.env, unknown.cwd)).toThrow(/hosts\.a\.models: unknown model type "transfer3" \(known: transfer, enhance, upscale, transfer2\.5\)/);
    const typo = await configFile(`${host}[hosts.models.transfer]\nimgae = "x"\n`);
    expect(() => loadConfig(typo.env, typo.cwd)).toThrow(/imgae/);
  });
});
