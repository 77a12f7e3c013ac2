import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commandTable } from '../src/client/cli/command-table.js';
import { loadConfig } from '../src/config.js';
import { cosmosSearchAttributes } from '../src/workflows/search-attributes.js';
import { projectRoot } from './helpers/pipeline-harness.js';

const run = promisify(execFile);
const composeFile = join(projectRoot, 'temporal-docker-compose.yml');

interface Service {
  image?: string; build?: unknown; command?: string[] | string; entrypoint?: string[]; ports?: string[]; volumes?: string[];
  environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>;
}

async function composeConfig(env: Record<string, string>) {
  try {
    const { stdout } = await run('docker-compose', ['-f', composeFile, 'config'], { env: { PATH: process.env.PATH!, ...env }, cwd: projectRoot });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { code: number | string; stdout: string; stderr: string };
    if (e.code === 'ENOENT') throw new Error('docker-compose is not installed: apt-get install docker-compose (.ci/run does)');
    return { code: Number(e.code), stdout: e.stdout, stderr: e.stderr };
  }
}

describe('temporal-docker-compose.yml', () => {
  const services = (parse(readFileSync(composeFile, 'utf8'), { merge: true }) as { services: Record<string, Service> }).services;
  const script = (name: string) => [services[name]!.entrypoint, services[name]!.command].flat().join('\n');

  it('validates with docker-compose, and refuses to start without an API token', async () => {
    const valid = await composeConfig({ COSMOS_API_TOKEN: 'a-token-of-sixteen-chars' });
    expect(valid.stderr).toBe('');
    expect(valid.code).toBe(0);
    expect(parse(valid.stdout).services['cosmos-api'].environment.COSMOS_API_TOKEN).toBe('a-token-of-sixteen-chars');
    const missing = await composeConfig({});
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('set COSMOS_API_TOKEN');
  });

  it('runs Temporal on PostgreSQL from current images: schema job, server, namespace job, Web UI — no auto-setup', () => {
    expect(Object.keys(services).sort()).toEqual([
      'cosmos-api', 'cosmos-postgresql', 'cosmos-worker', 'temporal', 'temporal-admin-tools', 'temporal-create-namespace',
      'temporal-postgresql', 'temporal-ui',
    ]);
    for (const service of Object.values(services)) expect(service.image ?? '').not.toMatch(/auto-setup/);
    expect(services.temporal!.image).toMatch(/^temporalio\/server:/);
    expect(services['temporal-admin-tools']!.image).toBe(services.temporal!.image!.replace('server', 'admin-tools'));
    expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:/);
    expect(services.temporal!.environment).toMatchObject({
      DB: 'postgres12', DB_PORT: '5432', POSTGRES_SEEDS: 'temporal-postgresql', POSTGRES_USER: 'temporal', BIND_ON_IP: '0.0.0.0',
    });
    expect(services.temporal!.environment).toHaveProperty('POSTGRES_PWD');
    expect(services.temporal!.depends_on).toEqual({ 'temporal-admin-tools': { condition: 'service_completed_successfully' } });
    for (const db of ['temporal', 'temporal_visibility']) {
      expect(script('temporal-admin-tools')).toMatch(new RegExp(`--db ${db} setup-schema -v 0\\.0`));
      expect(script('temporal-admin-tools')).toMatch(new RegExp(`--db ${db} update-schema -d /etc/temporal/schema/postgresql/v12/\\w+/versioned`));
    }
    expect(services['temporal-ui']!.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233' });
  });

  it('registers the namespace with long retention and every search attribute the workflows set', () => {
    const namespaceJob = script('temporal-create-namespace');
    expect(namespaceJob).toMatch(/namespace create -n "\$\$NAMESPACE" --retention \d+h/);
    const names = /for name in ([^;]+);/.exec(namespaceJob)?.[1]?.trim().split(/\s+/);
    expect(names?.sort()).toEqual(cosmosSearchAttributes.map((key) => key.name).sort());
    expect(namespaceJob).toContain('--type Keyword');
    expect(cosmosSearchAttributes.every((key) => key.type === 'KEYWORD')).toBe(true);
  });

  it('publishes the API, and Temporal and its UI on loopback only', () => {
    expect(services.temporal!.ports).toEqual(['127.0.0.1:7233:7233']);
    expect(services['temporal-ui']!.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(services['cosmos-api']!.ports).toEqual(['${COSMOS_API_PORT:-8700}:8700']);
    for (const name of ['temporal-postgresql', 'cosmos-postgresql', 'cosmos-worker']) expect(services[name]!.ports).toBeUndefined();
  });

  it('keeps both databases and the run artifacts on named volumes, shared by the worker and the API', () => {
    expect(services['temporal-postgresql']!.volumes).toEqual(['temporal-postgresql:/var/lib/postgresql/data']);
    expect(services['cosmos-postgresql']!.volumes).toEqual(['cosmos-postgresql:/var/lib/postgresql/data']);
    for (const name of ['cosmos-api', 'cosmos-worker']) {
      expect(services[name]!.build).toBe('.');
      expect(services[name]!.volumes).toEqual(expect.arrayContaining([
        'cosmos-data:/data', expect.stringMatching(/:\/etc\/cosmos\/cosmos\.toml:ro$/), expect.stringMatching(/:\/inputs:ro$/),
      ]));
    }
    expect(services['cosmos-worker']!.depends_on).toEqual({ 'cosmos-api': { condition: 'service_healthy' } });
  });

  describe('the app services', () => {
    let dir: string;
    beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'cosmos-compose-')); });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('set environment names the config loader reads, pointing at the compose services', async () => {
      const configPath = join(dir, 'cosmos.toml');
      await writeFile(configPath, '');
      const env = { ...services['cosmos-api']!.environment, COSMOS_CONFIG: configPath, COSMOS_API_TOKEN: 'a-token-of-sixteen-chars' };
      const expanded = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{(\w+):-([^}]*)\}/g, '$2')]));
      const config = loadConfig(expanded, dir);
      expect(config.database.url).toBe('postgres://cosmos:cosmos@cosmos-postgresql:5432/cosmos');
      expect(config.temporal).toMatchObject({ address: 'temporal:7233', namespace: 'default', ui_url: 'http://localhost:8080' });
      expect(config.dataDir).toBe('/data');
      expect(config.api.token).toBe('a-token-of-sixteen-chars');
      expect(services['cosmos-worker']!.environment).not.toHaveProperty('COSMOS_API_TOKEN');
    });

    it('run cosmos commands that exist, on a Dockerfile that builds them', () => {
      expect(services['cosmos-api']!.command).toEqual(['node', 'bin/cosmos.js', 'api', '--bind', '0.0.0.0', '--port', '8700']);
      expect(services['cosmos-worker']!.command).toEqual(['node', 'bin/cosmos.js', 'worker']);
      expect(Object.keys(commandTable)).toEqual(expect.arrayContaining(['api', 'worker']));
      const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(/RUN npx tsc -p tsconfig\.json/);
      for (const path of ['./dist', './bin', './src/db/migrations', './src/client/api/gallery']) expect(dockerfile).toContain(` ${path}\n`);
    });
  });
});
