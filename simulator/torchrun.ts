import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ArgparseExit, parseArgs, type ArgSpec } from './argparse.js';
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
  const children = Array.from({ length: nproc }, (_, rank) =>
    spawn(process.execPath, [worker, '--sim-home', home, script, ...scriptArgs], {
      stdio: 'inherit',
      env: {
        ...process.env,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        GROUP_RANK: '0',
        ROLE_RANK: String(rank),
        WORLD_SIZE: String(nproc),
        LOCAL_WORLD_SIZE: String(nproc),
        MASTER_ADDR: String(options.master_addr),
        MASTER_PORT: String(options.master_port),
        TORCHELASTIC_RUN_ID: 'none',
        ...(nproc > 1 ? { OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1' } : {}),
      },
    }),
  );
  const failure = await waitForWorkers(children);
  if (!failure) return 0;
  process.stderr.write(describeChildFailure(script, failure, hostname()));
  return 1;
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
          for (const other of children) if (other !== child && other.exitCode === null) other.kill('SIGTERM');
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
