import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId } from '../../src/db/ids.js';
import type { DoctorCheck, HostDoctorReport } from '../../src/gpu/doctor/index.js';
import { onTheFlyModels } from '../../src/models/transfer1-launch.js';
import { transferCheckpoints } from '../../src/models/transfer1-resources.js';
import { plantHostDefects } from '../../simulator/host-defects.js';
import { createPipelineHarness, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { runCosmos } from '../helpers/run-cosmos.js';
import { killHard, waitUntil } from '../helpers/worker-process.js';

const exec = promisify(execFile);

interface DoctorJson { ready: boolean; hosts: HostDoctorReport[] }

/**
 * `cosmos doctor` (the built executable) against a 2-GPU simulated host over a real sshd. One harness: a healthy
 * host passes, then each defect is planted as it happens in the field (an image that is not there, a GPU that is
 * gone, no NVIDIA toolkit, a checkpoint or HF-cache model missing, a small filesystem under remote_dir, someone
 * else's process on a GPU, a container stuck in `created`), reported with its hint and exit 1, and removed again.
 */
describe('cosmos doctor against a simulated GPU host over SSH', () => {
  let h: PipelineHarness;
  let root: string;
  let checkpoints: string;
  let hfCache: string;
  const depthRepo = `models--${onTheFlyModels.depth[0]!.replaceAll('/', '--')}`;

  const doctor = async (...args: string[]) => {
    const result = await runCosmos(h.configPath, ['doctor', '--json', ...args]);
    const parsed = JSON.parse(result.stdout) as DoctorJson;
    return { code: result.code, report: parsed.hosts[0]!, ready: parsed.ready };
  };
  const find = (report: HostDoctorReport, check: string, subject?: string | null) =>
    report.checks.filter((c) => c.check === check && (subject === undefined || c.subject === subject));
  const failures = (report: HostDoctorReport) => report.checks.filter((c) => c.verdict === 'fail');
  /** Exit 1, and exactly these checks failed. */
  const expectOnlyFailures = (result: { code: number; report: HostDoctorReport }, ...expected: Partial<DoctorCheck>[]) => {
    expect(result.code, JSON.stringify(failures(result.report), null, 2)).toBe(1);
    expect(result.report.ready).toBe(false);
    expect(failures(result.report)).toEqual(expected.map((e) => expect.objectContaining(e)));
  };
  const writeSimGpus = async (gpus: number) => {
    const path = join(h.simHome, 'sim.json');
    await writeFile(path, JSON.stringify({ ...JSON.parse(await readFile(path, 'utf8')), gpus }, null, 2));
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cosmos-doctor-'));
    checkpoints = join(root, 'checkpoints');
    hfCache = join(root, 'hf-cache');
    for (const name of transferCheckpoints) {
      await mkdir(dirname(join(checkpoints, name)), { recursive: true });
      await writeFile(join(checkpoints, name), `not really ${name}\n`);
    }
    for (const repo of [...onTheFlyModels.depth, ...onTheFlyModels.seg]) {
      const snapshot = join(hfCache, 'hub', `models--${repo.replaceAll('/', '--')}`, 'snapshots', '3f0d8b1c');
      await mkdir(snapshot, { recursive: true });
      await writeFile(join(snapshot, 'config.json'), '{}');
    }
    h = await createPipelineHarness({
      transport: 'ssh', sim: { gpus: 2 },
      host: { gpus: [0, 1], models: { transfer: { checkpoints, hf_cache: hfCache } } },
    });
    await mkdir(h.remoteDir, { recursive: true });
    await h.startWorker();
  });
  afterAll(async () => {
    await h?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('passes a healthy host: every check ok or a warning, exit 0, and says so readably', async () => {
    const result = await doctor();
    expect(failures(result.report)).toEqual([]);
    expect(result).toMatchObject({ code: 0, ready: true, report: { host: h.hostName, ready: true } });
    const verdicts = Object.fromEntries(result.report.checks.map((c) => [`${c.check}${c.subject ? ` ${c.subject}` : ''}`, c.verdict]));
    expect(verdicts).toMatchObject({
      docker: 'ok', 'image cosmos-transfer1:test': 'ok', 'nvidia-runtime GPUs 0,1': 'ok', 'gpu GPU 0': 'ok', 'gpu GPU 1': 'ok',
      'checkpoints transfer': 'ok', 'hf-cache transfer': 'ok', [`disk ${h.remoteDir}`]: expect.stringMatching(/ok|warn/),
      [`write ${h.remoteDir}/cosmos-jobs`]: 'ok', 'leftovers job folders': 'ok',
    });
    expect(find(result.report, 'docker')[0]!.detail).toBe(`Docker 27.3.1, reachable as ${h.sshd!.user} without sudo`);
    expect(find(result.report, 'nvidia-runtime')[0]!.detail).toBe('2 GPU(s) visible in a cosmos-transfer1:test container (NVIDIA H100 80GB HBM3)');
    expect(find(result.report, 'gpu', 'GPU 0')[0]!.detail).toMatch(/^NVIDIA H100 80GB HBM3, 80 GiB free of 80 GiB \(transfer needs 70 GiB\)$/);
    expect(find(result.report, 'checkpoints')[0]!.detail).toBe(`all ${transferCheckpoints.length} files under ${checkpoints} (--deep compares 10 MD5s)`);

    const text = await runCosmos(h.configPath, ['doctor', '--host', h.hostName]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${h.hostName} ready`));
    expect(text.stdout).toMatch(/^ {2}ok {4}docker +Docker 27\.3\.1/m);
    expect(text.stdout).toMatch(/^ {2}ok {4}checkpoints +transfer: all 11 files under /m);
  });

  it('--smoke runs a 1-step edge-only job end to end through the worker', async () => {
    const { code, report } = await doctor('--smoke');
    const [smoke] = find(report, 'smoke');
    expect(smoke, JSON.stringify(report.checks.filter((c) => c.verdict !== 'ok'))).toMatchObject({ verdict: 'ok', subject: expect.stringMatching(/^transfer rs_[0-9a-f]{32}$/) });
    expect(smoke!.detail).toMatch(/^a 1-step edge-only transfer job on 1 GPU\(s\) completed in \d+ s \(\d+×\d+, 121 frames\)$/);
    expect(code).toBe(0);
  });

  it('--deep compares the MD5s the download script lists, which the planted stand-ins do not match', async () => {
    const result = await doctor('--deep');
    expectOnlyFailures(result, { check: 'checkpoints', subject: 'transfer', detail: expect.stringMatching(/^MD5 differs from the one the download script lists: nvidia\/Cosmos-Transfer1-7B\/base_model\.pt, /), hint: expect.stringContaining('download them again') });
  });

  it('reports a missing image, and does not try to run it', async () => {
    await plantHostDefects(h.simHome, { images: ['cosmos-transfer1:other'] });
    try {
      const result = await doctor();
      expectOnlyFailures(result, {
        check: 'image', subject: 'cosmos-transfer1:test', detail: 'Error response from daemon: No such image: cosmos-transfer1:test (needed by transfer)',
        hint: expect.stringContaining(`\`docker build -t cosmos-transfer1:test .\` in the model's checkout, e.g. ${h.remoteDir}`),
      });
      expect(find(result.report, 'nvidia-runtime')).toEqual([]);
    } finally {
      await plantHostDefects(h.simHome, { images: undefined });
    }
  });

  it('cosmos status shows the fast checks as readiness, and a worker logs a host that is not ready when it starts', async () => {
    const readiness = async () => (JSON.parse((await runCosmos(h.configPath, ['status', '--json'])).stdout) as { hosts: { readiness: unknown }[] }).hosts[0]!.readiness;
    expect(await readiness()).toEqual({ ready: true, problems: [] });
    await plantHostDefects(h.simHome, { images: ['cosmos-transfer1:other'] });
    try {
      expect(await readiness()).toEqual({ ready: false, problems: ['image cosmos-transfer1:test: Error response from daemon: No such image: cosmos-transfer1:test (needed by transfer)'] });
      const text = await runCosmos(h.configPath, ['status']);
      expect(text.stdout).toContain(`  readiness: not ready (\`cosmos doctor --host ${h.hostName}\` says what to do): image cosmos-transfer1:test: `);
      const worker = h.spawnWorker();
      let stdout = '';
      worker.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
      try {
        await waitUntil(async () => stdout.includes(`cosmos worker: host ${h.hostName} is not ready`), 'the worker to log the host', 60_000);
        expect(stdout).toContain('image cosmos-transfer1:test: Error response from daemon: No such image: cosmos-transfer1:test');
      } finally {
        await killHard(worker);
      }
    } finally {
      await plantHostDefects(h.simHome, { images: undefined });
    }
  });

  it('reports a configured GPU the host does not have, from nvidia-smi and from the NVIDIA hook', async () => {
    await writeSimGpus(1);
    try {
      expectOnlyFailures(await doctor(),
        { check: 'nvidia-runtime', subject: 'GPUs 0,1', detail: expect.stringMatching(/nvidia-container-cli: device error: 1: unknown device/), hint: expect.stringContaining('does not exist on the host') },
        { check: 'gpu', subject: 'GPU 1', detail: 'not on the host (nvidia-smi lists 0)', hint: expect.stringContaining('remove 1 from `gpus`') });
    } finally {
      await writeSimGpus(2);
    }
  });

  it('reports a host without the NVIDIA Container Toolkit', async () => {
    await plantHostDefects(h.simHome, { nvidiaContainerToolkit: false });
    try {
      expectOnlyFailures(await doctor(), {
        check: 'nvidia-runtime', detail: 'a container with --gpus "device=0,1" did not start: docker: Error response from daemon: could not select device driver "" with capabilities: [[gpu]].',
        hint: expect.stringContaining('sudo nvidia-ctk runtime configure --runtime=docker'),
      });
    } finally {
      await plantHostDefects(h.simHome, { nvidiaContainerToolkit: undefined });
    }
  });

  it('reports a missing checkpoint file', async () => {
    const file = join(checkpoints, 'nvidia/Cosmos-Transfer1-7B/edge_control.pt');
    const bytes = await readFile(file);
    await rm(file);
    try {
      expectOnlyFailures(await doctor(), {
        check: 'checkpoints', subject: 'transfer', detail: `missing or empty under ${checkpoints}: nvidia/Cosmos-Transfer1-7B/edge_control.pt`,
        hint: expect.stringContaining('scripts/download_checkpoints.py'),
      });
    } finally {
      await writeFile(file, bytes);
    }
  });

  it('reports an HF cache without the depth model that depth computed on the fly loads', async () => {
    const folder = join(hfCache, 'hub', depthRepo);
    await exec('mv', [folder, `${folder}.away`]);
    try {
      expectOnlyFailures(await doctor(), {
        check: 'hf-cache', subject: 'transfer', detail: expect.stringContaining('lacks depth-anything/Depth-Anything-V2-Small-hf (depth computed on the fly)'),
        hint: expect.stringContaining(`\`HF_HOME=${hfCache} hf download depth-anything/Depth-Anything-V2-Small-hf\``),
      });
    } finally {
      await exec('mv', [`${folder}.away`, folder]);
    }
  });

  it('reports little free disk under remote_dir (a real 8 MiB tmpfs mounted there)', async () => {
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', h.remoteDir]);
    try {
      expectOnlyFailures(await doctor(), {
        check: 'disk', subject: h.remoteDir, detail: expect.stringMatching(/^\d+ MiB free of 8 MiB on .+: too little for the runs' inputs and outputs \(under 10 GiB\)$/),
        hint: expect.stringContaining('cosmos clean --dry-run'),
      });
    } finally {
      await exec('umount', [h.remoteDir]).catch(() => exec('umount', ['-l', h.remoteDir]));
    }
  });

  it('reports a compute process that is not ours on a GPU', async () => {
    await plantHostDefects(h.simHome, { gpuProcesses: [{ gpu: 1, pid: 4242, usedMemoryMiB: 30_000 }] });
    try {
      expectOnlyFailures(await doctor(), {
        check: 'gpu', subject: 'GPU 1', detail: 'a compute process that is not ours runs on it: pid 4242 (29 GiB)',
        hint: expect.stringContaining('`ps -o user,pid,cmd -p 4242`'),
      });
    } finally {
      await plantHostDefects(h.simHome, { gpuProcesses: undefined });
    }
  });

  it('reports a container of ours stuck in created with docker\'s error, and prints the hint readably', async () => {
    const name = `cosmos-transfer-${newRunId()}`;
    const docker = join(h.simHome, 'bin', 'docker');
    const started = await exec(docker, ['run', '-d', '--name', name, '--label', `cosmos.run_id=${name.slice(16)}`, '--label', 'cosmos.gpus=0',
      '-v', `${h.remoteDir}:/workspace`, '-w', '/workspace', '-e', 'PATH=/nonexistent', 'cosmos-transfer1:test', 'bash', '-c', 'true']).catch((e: unknown) => e);
    expect(started).toMatchObject({ code: 127 });
    try {
      expectOnlyFailures(await doctor(), {
        check: 'leftovers', subject: name, detail: expect.stringMatching(/^stuck in created, it never started: .*executable file not found/),
        hint: expect.stringContaining(`\`docker rm ${name}\``),
      });
      const text = await runCosmos(h.configPath, ['doctor']);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(new RegExp(`^${h.hostName} not ready \\(1 failed\\)`));
      expect(text.stdout).toMatch(new RegExp(`^ {2}fail {2}leftovers +${name}: stuck in created`, 'm'));
      expect(text.stdout).toMatch(new RegExp(`^ {8,}→ fix the cause, then remove it: \`docker rm ${name}\``, 'm'));
    } finally {
      await exec(docker, ['rm', '-f', name]);
    }
  });
});
