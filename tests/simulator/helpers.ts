import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installSimulator, stopSimContainers, type SimulatorSettings } from '../../simulator/install.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SAMPLES = join(ROOT, 'samples', 'demo');

/** The shims run dist/simulator/*.js: rebuild the simulator alone when a source is newer than its output. */
function ensureSimulatorBuilt(): void {
  const lock = join(ROOT, 'dist', '.simulator-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmdirSync(lock);
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    if (isBuildStale()) {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'simulator/tsconfig.json'], {
        cwd: ROOT,
        stdio: 'inherit',
      });
    }
  } finally {
    rmdirSync(lock);
  }
}

function isBuildStale(): boolean {
  const sources = [
    ...readdirSync(join(ROOT, 'simulator')).filter((f) => f.endsWith('.ts')).map((f) => join('simulator', f)),
    join('src', 'gpu', 'mp4.ts'),
  ];
  return sources.some((source) => {
    const output = join(ROOT, 'dist', source.replace(/\.ts$/, '.js'));
    return !existsSync(output) || statSync(output).mtimeMs < statSync(join(ROOT, source)).mtimeMs;
  });
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Sim {
  home: string;
  /** The host folder mounted at /workspace (the "cosmos-transfer1 checkout"). */
  workspace: string;
  dockerBin: string;
  nvidiaSmiBin: string;
  docker(...args: string[]): Promise<CommandResult>;
  nvidiaSmi(...args: string[]): Promise<CommandResult>;
  /** `docker run -d` with the mounts and flags the orchestrator uses (GPU 0 unless `extra` has --gpus). */
  runContainer(name: string, command: string[], extra?: string[]): Promise<CommandResult>;
  cleanup(): Promise<void>;
}

function runCommand(file: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolvePromise) => {
    execFile(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export async function createSim(settings: Partial<SimulatorSettings> = {}): Promise<Sim> {
  ensureSimulatorBuilt();
  const root = await mkdtemp(join(tmpdir(), 'cosmos-sim-'));
  const workspace = join(root, 'workspace');
  await mkdir(workspace);
  const installed = await installSimulator(join(root, 'home'), {
    gpus: 1,
    timeScale: 0.002,
    modelLoadSeconds: 180,
    secondsPerChunk: 540,
    ...settings,
  });
  const docker = (...args: string[]) => runCommand(installed.dockerBin, args);
  return {
    home: installed.home,
    workspace,
    dockerBin: installed.dockerBin,
    nvidiaSmiBin: installed.nvidiaSmiBin,
    docker,
    nvidiaSmi: (...args) => runCommand(installed.nvidiaSmiBin, args),
    runContainer: (name, command, extra = []) =>
      docker(
        'run', '-d', '--name', name, '--label', `cosmos.run_id=${name}`, '-v', `${workspace}:/workspace`,
        '-w', '/workspace', '-e', 'PYTHONPATH=/workspace', '--ipc=host',
        ...(extra.includes('--gpus') ? [] : ['--gpus', '"device=0"']), ...extra, 'cosmos-transfer1:sim', ...command,
      ),
    async cleanup() {
      await stopSimContainers(installed.home);
      await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}

/** Lays out a job like the orchestrator does: sample inputs and spec.json under cosmos-jobs/<job>/inputs. */
export async function writeJob(sim: Sim, job: string, spec: Record<string, unknown>): Promise<string> {
  const inputs = join(sim.workspace, 'cosmos-jobs', job, 'inputs');
  await mkdir(inputs, { recursive: true });
  await copyFile(join(SAMPLES, 'color.mp4'), join(inputs, 'color.mp4'));
  await copyFile(join(SAMPLES, 'depth.mp4'), join(inputs, 'depth.mp4'));
  await writeFile(join(inputs, 'spec.json'), JSON.stringify(spec));
  return `cosmos-jobs/${job}/inputs`;
}

export function baseSpec(job: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    prompt: 'A robot arm hands a cup of coffee to a person in a bright office.',
    negative_prompt: 'blurry',
    input_video_path: `cosmos-jobs/${job}/inputs/color.mp4`,
    num_steps: 35,
    guidance: 5,
    seed: 1,
    fps: 24,
    sigma_max: 70,
    blur_strength: 'medium',
    canny_threshold: 'medium',
    depth: { control_weight: 0.25, input_control: `cosmos-jobs/${job}/inputs/depth.mp4` },
    ...overrides,
  };
}

export function transferCommand(job: string, extra: string[] = [], nproc = 1): string[] {
  return [
    'torchrun', `--nproc_per_node=${nproc}`, '--nnodes=1', '--node_rank=0',
    'cosmos_transfer1/diffusion/inference/transfer.py',
    '--checkpoint_dir', 'checkpoints',
    '--controlnet_specs', `cosmos-jobs/${job}/inputs/spec.json`,
    '--video_save_folder', `cosmos-jobs/${job}/outputs`,
    '--video_save_name', 'output',
    '--offload_text_encoder_model', '--offload_guardrail_models',
    '--num_gpus', String(nproc),
    ...extra,
  ];
}

export async function waitForExitCode(sim: Sim, name: string): Promise<number> {
  const result = await sim.docker('wait', name);
  if (result.code !== 0) throw new Error(`docker wait ${name} failed: ${result.stderr}`);
  return Number(result.stdout.trim());
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
