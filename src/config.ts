import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { findUnknownKeys, keysOf } from './config-keys.js';
import { durationSchema as duration, sizeSchema as size } from './config-values.js';
import { modelTypeNames } from './models/index.js';

const envSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits, "_")'),
  z.string().refine((value) => !/[\n\r\0]/.test(value), 'one line without NUL bytes (docker --env-file reads one variable per line)'),
);
const mountsSchema = z.array(z.string().regex(/^[^:]+:[^:]+(:ro|:rw)?$/, '"host_path:container_path[:ro]"'));

/** One model type a host serves: its image and the host folder mounted at /workspace (the model's checkout). */
const modelHostFields = z.object({
  image: z.string().min(1).optional(),
  workspace: z.string().refine(isAbsolute, 'an absolute path').optional(),
  /** The host folder with the model's checkpoints; where it is mounted is the model's to say. */
  checkpoints: z.string().refine(isAbsolute, 'an absolute path').optional(),
  /** The host's Hugging Face cache for models loaded by repo id (default: <remote_dir>/cosmos-cache/huggingface). */
  hf_cache: z.string().refine(isAbsolute, 'an absolute path').optional(),
  env: envSchema.default({}),
  mounts: mountsSchema.default([]),
  hang_timeout: duration.optional(),
}).strict();

const hostFields = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lowercase letters, digits and dashes'),
  transport: z.enum(['ssh', 'local']).default('ssh'),
  host: z.string().optional(),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().optional(),
  key_path: z.string().optional(),
  host_key_fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'an OpenSSH fingerprint like "SHA256:…"').optional(),
  known_hosts: z.string().optional(),
  remote_dir: z.string().refine(isAbsolute, 'an absolute path'),
  image: z.string().min(1).default('cosmos-transfer1:latest'),
  gpus: z.array(z.number().int().min(0)).min(1).default([0]),
  gpus_per_job: z.number().int().min(1).default(1),
  docker: z.string().default('docker'),
  nvidia_smi: z.string().default('nvidia-smi'),
  docker_args: z.array(z.string()).default([]),
  mounts: mountsSchema.default([]),
  env: envSchema.default({}),
  /** The model types this host serves and how; without it, those served by default (Cosmos-Transfer1) with `image`. */
  models: z.record(z.string(), modelHostFields).optional(),
  transfer_rate_limit: z.number().positive().optional(),
  /** Largest single output file downloaded from a job; a bigger one fails the run as output_invalid. */
  max_output_file_size: size.default(8 * 2 ** 30),
  /** Largest total of one run's output files. */
  max_run_output_size: size.default(32 * 2 ** 30),
});

const hostSchema = hostFields.superRefine((host, ctx) => {
  // Context parallelism splits a chunk's latent frames over the GPUs (16 per 121-frame chunk in Transfer1, 24 per
  // 93-frame chunk in Transfer2.5) and asserts they divide evenly, after the whole model has loaded: 1, 2, 4, 8.
  if (![1, 2, 4, 8].includes(host.gpus_per_job)) {
    ctx.addIssue({ code: 'custom', path: ['gpus_per_job'], message: `must be 1, 2, 4 or 8 (the model splits each chunk's latent frames evenly over the GPUs), got ${host.gpus_per_job}` });
  } else if (host.gpus.length % host.gpus_per_job !== 0) {
    ctx.addIssue({ code: 'custom', path: ['gpus_per_job'], message: `${host.gpus_per_job} does not divide the host's ${host.gpus.length} GPUs into whole jobs` });
  }
  if (host.transport !== 'ssh') return;
  for (const key of ['host', 'user', 'key_path'] as const) {
    if (!host[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required for the ssh transport' });
  }
  if (!host.host_key_fingerprint && !host.known_hosts) {
    ctx.addIssue({ code: 'custom', path: ['host_key_fingerprint'], message: 'set host_key_fingerprint or known_hosts: host keys are always verified' });
  }
});

const temporalSchema = z.object({
  address: z.string().optional(),
  namespace: z.string().default('default'),
  task_queue: z.string().default('cosmos'),
  ui_url: z.string().url().optional(),
  heartbeat_timeout: duration.default('45s'),
  job_timeout: duration.default('6h'),
  retry_initial_interval: duration.default('2s'),
  retry_maximum_interval: duration.default('1m'),
  poll_interval: duration.default('2s'),
  hang_timeout: duration.default('45m'),
  host_outage_timeout: duration.default('5m'),
  readiness_interval: duration.default('30s'),
  host_move_after: duration.default('30s'),
});

const apiSchema = z.object({
  bind: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8700),
  token: z.string().min(16, 'at least 16 characters').optional(),
  /** Host names the API answers to besides its bind address (and localhost on loopback): DNS rebinding guard. */
  allowed_hosts: z.array(z.string().min(1)).default([]),
});

const databaseSchema = z.object({ url: z.string().url().optional() });

const defaultsSchema = z.object({
  negative_prompt: z.string().default('The video captures a game playing, with bad crappy graphics and cartoonish frames. It represents a recording of old outdated games. The lighting looks very fake. The textures are very raw and basic. The geometries are very primitive. The images are very pixelated and of poor CG quality. There are many subtitles in the footage. Overall, the video is unrealistic at all.'),
});

const configSchema = z.object({
  data_dir: z.string().default('.cosmos'),
  database: databaseSchema.default({}),
  temporal: temporalSchema.prefault({}),
  hosts: z.array(hostSchema).default([]),
  api: apiSchema.prefault({}),
  defaults: defaultsSchema.prefault({}),
});

const configKeys = keysOf(configSchema, {
  database: keysOf(databaseSchema), temporal: keysOf(temporalSchema), api: keysOf(apiSchema),
  defaults: keysOf(defaultsSchema), hosts: keysOf(hostFields, { env: 'free', models: 'free' }),
});

export type RawConfig = z.infer<typeof configSchema>;
export type GpuHostConfig = z.infer<typeof hostSchema>;
export type ModelHostConfig = z.infer<typeof modelHostFields>;
/** A host's settings for one model type, with the host's defaults filled in. */
export interface ModelHostSettings { image: string; workspace: string; checkpoints?: string; hfCache: string; env: Record<string, string>; mounts: string[]; hangTimeout?: string }
export type Config = RawConfig & {
  dataDir: string;
  configPath: string | null;
  /** No host configured: the GPU-host simulator runs as a `local` host inside the data directory. */
  simulatedHost: boolean;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads cosmos.toml (COSMOS_CONFIG, ./cosmos.toml, ~/.config/cosmos/cosmos.toml) plus env overrides, validated once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const configPath = findConfigFile(env, cwd);
  let raw: Record<string, unknown> = {};
  if (configPath) {
    try {
      raw = parseToml(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`${configPath}: ${(error as Error).message}`);
    }
  }
  const unknown = findUnknownKeys(raw, configKeys);
  if (unknown.length > 0) throw new ConfigError(`${configPath ?? 'configuration'}: ${unknown.join('; ')}`);
  applyEnvOverrides(raw, env);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const where = configPath ?? 'configuration';
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`${where}: ${problems.join('; ')}`);
  }
  const names = parsed.data.hosts.map((h) => h.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw new ConfigError(`hosts: the name "${duplicate}" is used twice`);
  for (const host of parsed.data.hosts) {
    const unknownModel = Object.keys(host.models ?? {}).find((name) => !modelTypeNames().includes(name));
    if (unknownModel) throw new ConfigError(`hosts.${host.name}.models: unknown model type "${unknownModel}" (known: ${modelTypeNames().join(', ')})`);
  }
  const dataDir = resolve(cwd, parsed.data.data_dir);
  const simulatedHost = parsed.data.hosts.length === 0;
  const hosts = simulatedHost ? [simulatedLocalHost(dataDir)] : parsed.data.hosts;
  return { ...parsed.data, hosts, dataDir, configPath, simulatedHost };
}

/** One `[[hosts]]` entry, with its defaults filled in; throws on an invalid one. */
export function parseHostConfig(raw: unknown): GpuHostConfig {
  return hostSchema.parse(raw);
}

/** The embedded default GPU host: the simulator's docker and nvidia-smi, reached without SSH. */
export function simulatedLocalHost(dataDir: string): GpuHostConfig {
  return hostSchema.parse({
    name: 'local', transport: 'local', remote_dir: join(dataDir, 'gpu-host'), image: 'cosmos-transfer1:simulated',
    docker: join(dataDir, 'simulator', 'bin', 'docker'), nvidia_smi: join(dataDir, 'simulator', 'bin', 'nvidia-smi'),
  });
}

export const simulatorHome = (config: Config) => join(config.dataDir, 'simulator');

function findConfigFile(env: NodeJS.ProcessEnv, cwd: string): string | null {
  if (env.COSMOS_CONFIG) {
    if (!existsSync(env.COSMOS_CONFIG)) throw new ConfigError(`COSMOS_CONFIG points at ${env.COSMOS_CONFIG}, which does not exist`);
    return resolve(cwd, env.COSMOS_CONFIG);
  }
  return [join(cwd, 'cosmos.toml'), join(homedir(), '.config', 'cosmos', 'cosmos.toml')].find((p) => existsSync(p)) ?? null;
}

function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const section = (key: string) => (raw[key] ??= {}) as Record<string, unknown>;
  if (env.COSMOS_DATA_DIR) raw.data_dir = env.COSMOS_DATA_DIR;
  if (env.DATABASE_URL) section('database').url = env.DATABASE_URL;
  if (env.TEMPORAL_ADDRESS) section('temporal').address = env.TEMPORAL_ADDRESS;
  if (env.TEMPORAL_NAMESPACE) section('temporal').namespace = env.TEMPORAL_NAMESPACE;
  if (env.COSMOS_TEMPORAL_UI_URL) section('temporal').ui_url = env.COSMOS_TEMPORAL_UI_URL;
  if (env.COSMOS_TASK_QUEUE) section('temporal').task_queue = env.COSMOS_TASK_QUEUE;
  if (env.COSMOS_API_TOKEN) section('api').token = env.COSMOS_API_TOKEN;
  if (env.COSMOS_API_ALLOWED_HOSTS) section('api').allowed_hosts = env.COSMOS_API_ALLOWED_HOSTS.split(',').map((h) => h.trim()).filter(Boolean);
}
