import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ArgparseExit, parseArgs, type ArgSpec, type Namespace } from './argparse.js';
import { parseSimHome } from './sim-home.js';
import { describeChildFailure, glogPrefix, type WorkerFailure } from './torchrun-report.js';

/** The launcher options torchrun accepts before the script (both `--x_y` and `--x-y` spellings). */
const LAUNCHER_ARGS: ArgSpec[] = [
  { name: 'nnodes', type: 'str', default: '1' },
  { name: 'nproc_per_node', type: 'str', default: '1' },
  { name: 'node_rank', type: 'int', default: 0 },
  { name: 'master_addr', type: 'str', default: '127.0.0.1' },
  { name: 'master_port', type: 'int', default: 29500 },
  { name: 'rdzv_backend', type: 'str', default: 'static' },
  { name: 'rdzv_endpoint', type: 'str', default: '' },
  { name: 'rdzv_id', type: 'str', default: 'none' },
  { name: 'max_restarts', type: 'int', default: 0 },
  { name: 'monitor_interval', type: 'float', default: 0.1 },
  { name: 'log_dir', type: 'str', default: null },
  { name: 'redirects', type: 'str', default: '0' },
  { name: 'tee', type: 'str', default: '0' },
  { name: 'local_ranks_filter', type: 'str', default: '' },
  { name: 'role', type: 'str', default: 'default' },
  { name: 'standalone', type: 'flag', default: false },
  { name: 'no_python', type: 'flag', default: false },
  { name: 'module', type: 'flag', default: false },
];

function splitLauncherArgs(args: string[]): { launcher: string[]; script: string | undefined; scriptArgs: string[] } {
  const launcher: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-')) return { launcher, script: arg, scriptArgs: args.slice(i + 1) };
    const normalized = arg.replace(/^--([^=]*)/, (_, name: string) => `--${name.replaceAll('-', '_')}`);
    launcher.push(normalized);
    const spec = LAUNCHER_ARGS.find((s) => `--${s.name}` === normalized);
    if (spec && spec.type !== 'flag' && i + 1 < args.length) launcher.push(args[++i] ?? '');
  }
  return { launcher, script: undefined, scriptArgs: [] };
}

async function main(): Promise<number> {
  const { home, args } = parseSimHome(process.argv.slice(2));
  const { launcher, script, scriptArgs } = splitLauncherArgs(args);
  let options;
  try {
    options = parseArgs('torchrun', LAUNCHER_ARGS, launcher);
    if (script === undefined) {
      throw new ArgparseExit(2, 'usage: torchrun [-h] [--nnodes NNODES] [--nproc-per-node NPROC_PER_NODE] training_script ...\ntorchrun: error: the following arguments are required: training_script, training_script_args\n');
    }
  } catch (error) {
    if (!(error instanceof ArgparseExit)) throw error;
    (error.toStdout ? process.stdout : process.stderr).write(error.output);
    return error.exitCode;
  }
  const nproc = resolveProcessCount(String(options.nproc_per_node));
  if (nproc > 1) {
    const banner = '*****************************************';
    for (const line of ['', banner, 'Setting OMP_NUM_THREADS environment variable for each process to be 1 in default, to avoid your system being overloaded, please further tune the variable for optimal performance in your application as needed. ', banner]) {
      process.stderr.write(`${glogPrefix('W', 'torch/distributed/run.py:793')}${line}\n`);
    }
  }
  const worker = fileURLToPath(new URL('./cosmos-worker.js', import.meta.url));
  // torch/distributed/run.py: with more than one process torchrun sets OMP_NUM_THREADS=1 in its own environment
  // unless it is set, and the workers inherit it; with one process it stays as it was (usually unset).
  const launcherEnv: NodeJS.ProcessEnv = nproc > 1 && process.env.OMP_NUM_THREADS === undefined
    ? { ...process.env, OMP_NUM_THREADS: '1' } : { ...process.env };
  const logRoot = `/tmp/torchelastic_${randomName()}/${String(options.rdzv_id)}_${randomName()}`;
  const children = Array.from({ length: nproc }, (_, localRank) =>
    // Workers are started as `python -u <script> args` (run.py config_from_args: `cmd_args.append("-u")`).
    spawn(process.execPath, [worker, '--sim-home', home, '-u', script, ...scriptArgs], {
      stdio: 'inherit',
      env: { ...launcherEnv, ...workerEnv(options, nproc, localRank, `${logRoot}/attempt_0/${localRank}/error.json`) },
    }),
  );
  const failure = await waitForWorkers(children);
  if (!failure) return 0;
  process.stderr.write(describeChildFailure(script, failure, hostname()));
  return 1;
}

/**
 * The variables torchrun's agent gives each worker on top of its own environment
 * (torch/distributed/elastic/agent/server/local_elastic_agent.py `_start_workers`, the `worker_env` dict; the error
 * file from multiprocessing/api.py DefaultLogsSpecs.reify: `<log_dir>/attempt_<n>/<local_rank>/error.json`).
 * One node: GROUP_RANK is --node_rank, the group and role world sizes are 1 and nproc.
 */
function workerEnv(options: Namespace, nproc: number, localRank: number, errorFile: string): Record<string, string> {
  const nodeRank = Number(options.node_rank);
  return {
    LOCAL_RANK: String(localRank),
    RANK: String(nodeRank * nproc + localRank),
    GROUP_RANK: String(nodeRank),
    ROLE_RANK: String(nodeRank * nproc + localRank),
    ROLE_NAME: String(options.role),
    LOCAL_WORLD_SIZE: String(nproc),
    WORLD_SIZE: String(nproc),
    GROUP_WORLD_SIZE: '1',
    ROLE_WORLD_SIZE: String(nproc),
    MASTER_ADDR: String(options.master_addr),
    MASTER_PORT: String(options.master_port),
    TORCHELASTIC_RESTART_COUNT: '0',
    TORCHELASTIC_MAX_RESTARTS: String(options.max_restarts),
    TORCHELASTIC_RUN_ID: String(options.rdzv_id),
    TORCHELASTIC_USE_AGENT_STORE: 'True',
    TORCH_NCCL_ASYNC_ERROR_HANDLING: process.env.TORCH_NCCL_ASYNC_ERROR_HANDLING ?? '1',
    TORCHELASTIC_ERROR_FILE: errorFile,
  };
}

/** tempfile.mkdtemp's 8 characters. */
function randomName(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789_';
  return Array.from({ length: 8 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}

function resolveProcessCount(value: string): number {
  if (value === 'gpu' || value === 'auto') return (process.env.CUDA_VISIBLE_DEVICES ?? '0').split(',').length;
  const count = Number.parseInt(value, 10);
  return Number.isFinite(count) && count > 0 ? count : 1;
}

/** Waits for all workers; on the first failure the others get SIGTERM, as torchrun's agent does. */
function waitForWorkers(children: ChildProcess[]): Promise<WorkerFailure | undefined> {
  return new Promise((resolve) => {
    let remaining = children.length;
    let failure: WorkerFailure | undefined;
    children.forEach((child, rank) => {
      child.on('exit', (code, signal) => {
        if (!failure && (code !== 0 || signal)) {
          failure = { rank, pid: child.pid ?? 0, exitCode: code ?? 0, signal, time: new Date() };
          // The agent stops the others (multiprocessing/api.py close(): "Sending process %s closing signal %s").
          for (const other of children) {
            if (other === child || other.exitCode !== null || other.signalCode !== null) continue;
            process.stderr.write(`${glogPrefix('W', 'torch/distributed/elastic/multiprocessing/api.py:897')}Sending process ${other.pid ?? 0} closing signal SIGTERM\n`);
            other.kill('SIGTERM');
          }
        }
        remaining -= 1;
        if (remaining === 0) resolve(failure);
      });
    });
  });
}

main().then((code) => {
  process.exitCode = code;
});
