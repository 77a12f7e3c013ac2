import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { FaultMode, FaultRule } from '../../../../simulator/faults.js';
import { parseHostConfig, simulatorHome } from '../../../config.js';
import { InputError } from '../../../core/input-error.js';
import { quoteArg } from '../../../gpu/shell-quote.js';
import { parseCommandArgs, parseInteger, parseNumber } from '../args.js';
import type { Command } from '../command.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { UsageError } from '../usage-error.js';

type SimulatorModule = typeof import('../../../../simulator/install.js');

const faultModes = [
  'guardrail', 'guardrail_video', 'oom', 'exit1', 'host_oom', 'killed', 'exit137', 'hang', 'slow', 'missing_checkpoint',
  'output_symlink', 'output_fifo', 'output_oversized',
] as const satisfies readonly FaultMode[];
// A mode added to the simulator's FaultMode union and not listed here fails the build on this line.
const everyModeListed: [Exclude<FaultMode, (typeof faultModes)[number]>] extends [never] ? true : never = true;
void everyModeListed;

const options = {
  gpus: { type: 'string' }, 'time-scale': { type: 'string' }, 'prompt-contains': { type: 'string' }, 'container-contains': { type: 'string' },
  home: { type: 'string' }, clear: { type: 'boolean' }, json: { type: 'boolean' },
} as const;

export const simCommand: Command = {
  options,
  help: `Usage: cosmos sim install <dir> [--gpus N] [--time-scale X] [--json]
       cosmos sim fault <mode> [--prompt-contains TEXT] [--container-contains TEXT] [--home DIR]
       cosmos sim fault --clear [--home DIR]

The GPU-host simulator (simulator/README.md), to rehearse a pipeline over SSH on a machine without a GPU.
install writes <dir>/bin/{docker,nvidia-smi,torchrun,python} and prints the PATH line and a [[hosts]] entry
for cosmos.toml. fault adds a rule to <home>/faults.json: the next job whose prompt (and container name)
matches fails, or behaves, that way; --clear removes every rule. Modes: ${faultModes.join(', ')}.

Options:
  --gpus N                   simulated GPUs (default 1)
  --time-scale X             simulated seconds × X (default 0.01: a transfer run takes seconds, not minutes)
  --prompt-contains TEXT     the fault hits only prompts containing TEXT
  --container-contains TEXT  … and only containers whose name contains TEXT
  --home DIR                 the simulator's folder (default: the embedded host's, <data_dir>/simulator)
  --json                     print {home, bin, pathLine, dockerBin, nvidiaSmiBin, remoteDir, settings, hostToml} / {home, faults}

Examples:
  cosmos sim install ~/cosmos-sim --gpus 2
  cosmos sim fault oom --prompt-contains "storm" --home ~/cosmos-sim
  cosmos sim fault --clear --home ~/cosmos-sim`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [action, ...rest] = positionals;
    if (action === 'install') return install(rest, values, out);
    if (action === 'fault') return fault(rest, values, ctx, out);
    throw new UsageError('expected "install <dir>" or "fault <mode>|--clear"');
  },
};

type Values = ReturnType<typeof parseCommandArgs<typeof options>>['values'];

async function install(rest: string[], values: Values, out: Output): Promise<void> {
  if (rest.length !== 1) throw new UsageError('expected one folder: cosmos sim install <dir>');
  const gpus = values.gpus === undefined ? 1 : parseInteger('--gpus', values.gpus, 1, 16);
  const timeScale = values['time-scale'] === undefined ? 0.01 : parseNumber('--time-scale', values['time-scale']);
  if (!(timeScale > 0)) throw new UsageError(`--time-scale must be more than 0, got ${values['time-scale']}`);
  const sim = await loadSimulator();
  const installed = await sim.installSimulator(resolve(rest[0]!), { gpus, timeScale });
  const remoteDir = join(installed.home, 'remote');
  await mkdir(remoteDir, { recursive: true });
  // Like a real host after its download script ran: hosts without a model's checkpoints get no work for it.
  const { seedCheckpoints } = await import('../../../gpu/doctor/seed-checkpoints.js');
  await seedCheckpoints(parseHostConfig({ name: 'sim', transport: 'local', remote_dir: remoteDir }));
  const bin = join(installed.home, 'bin');
  const pathLine = `export PATH=${quoteArg(bin)}:"$PATH"`;
  const hostToml = alignComments([
    ['[[hosts]]'],
    ['name = "sim"'],
    ['transport = "ssh"', 'or "local": the worker runs the simulator without SSH'],
    ['host = "127.0.0.1"'],
    [`user = ${tomlString(userInfo().username)}`],
    [`key_path = ${tomlString(join(homedir(), '.ssh', 'id_ed25519'))}`, 'its public half in ~/.ssh/authorized_keys'],
    [`known_hosts = ${tomlString(join(homedir(), '.ssh', 'known_hosts'))}`, 'ssh-keyscan 127.0.0.1 >> ~/.ssh/known_hosts'],
    [`remote_dir = ${tomlString(remoteDir)}`],
    [`docker = ${tomlString(installed.dockerBin)}`],
    [`nvidia_smi = ${tomlString(installed.nvidiaSmiBin)}`],
    [`gpus = [${Array.from({ length: gpus }, (_, i) => i).join(', ')}]`],
  ]);
  if (values.json) {
    return out.json({ home: installed.home, bin, pathLine, dockerBin: installed.dockerBin, nvidiaSmiBin: installed.nvidiaSmiBin, remoteDir, settings: { gpus, timeScale }, hostToml });
  }
  out.line(`${out.green('simulator installed')} in ${installed.home}: ${gpus} GPU(s), time scale ${timeScale}`);
  out.line();
  out.line('Its docker and nvidia-smi on your PATH (to look at its containers and GPUs):');
  out.line(`  ${pathLine}`);
  out.line();
  out.line('The GPU host for cosmos.toml (over SSH to this machine):');
  for (const line of hostToml.split('\n')) out.line(`  ${line}`);
  out.line();
  out.line(`Faults: cosmos sim fault <mode> --home ${quoteArg(installed.home)}`);
}

async function fault(rest: string[], values: Values, ctx: CliContext, out: Output): Promise<void> {
  const home = resolve(values.home ?? simulatorHome(ctx.config));
  if (!existsSync(join(home, 'sim.json'))) throw new InputError(`no simulator is installed in ${home} (cosmos sim install <dir>, or --home DIR)`);
  const sim = await loadSimulator();
  let faults: FaultRule[];
  if (values.clear) {
    if (rest.length > 0 || values['prompt-contains'] !== undefined || values['container-contains'] !== undefined) {
      throw new UsageError('--clear removes every rule and takes no mode or conditions');
    }
    faults = [];
  } else {
    const [mode, ...extra] = rest;
    if (mode === undefined || extra.length > 0) throw new UsageError(`expected one fault mode (${faultModes.join(', ')}) or --clear`);
    if (!(faultModes as readonly string[]).includes(mode)) throw new UsageError(`unknown fault mode "${mode}" (known: ${faultModes.join(', ')})`);
    const rule: FaultRule = {
      mode: mode as FaultMode,
      ...(values['prompt-contains'] !== undefined ? { promptContains: values['prompt-contains'] } : {}),
      ...(values['container-contains'] !== undefined ? { containerNameContains: values['container-contains'] } : {}),
    };
    faults = [...await readFaults(home), rule];
  }
  await sim.setFaults(home, faults);
  if (values.json) return out.json({ home, faults });
  if (faults.length === 0) return out.line(`no fault rules in ${join(home, 'faults.json')}`);
  out.line(`${faults.length} fault rule(s) in ${join(home, 'faults.json')} (the first that matches wins):`);
  for (const rule of faults) {
    const when = [rule.promptContains !== undefined ? `prompt contains ${JSON.stringify(rule.promptContains)}` : '',
      rule.containerNameContains !== undefined ? `container name contains ${JSON.stringify(rule.containerNameContains)}` : ''].filter(Boolean);
    out.line(`  ${rule.mode}${when.length > 0 ? ` when ${when.join(' and ')}` : ' for every job'}`);
  }
}

async function readFaults(home: string): Promise<FaultRule[]> {
  const text = await readFile(join(home, 'faults.json'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '[]';
    throw error;
  });
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed)) throw new InputError(`${join(home, 'faults.json')} is not a list of rules; cosmos sim fault --clear starts it afresh`);
  return parsed as FaultRule[];
}

/**
 * The simulator is a program of its own in dist/simulator (its shims exec the compiled scripts next to
 * install.js), so it is loaded from there, never bundled: from dist/src/client/cli/commands or dist/cli-bundle.
 */
async function loadSimulator(): Promise<SimulatorModule> {
  const found = ['../../../../simulator/install.js', '../simulator/install.js']
    .map((path) => new URL(path, import.meta.url)).find((url) => existsSync(url));
  if (!found) throw new InputError('the GPU-host simulator is not built (dist/simulator/install.js is missing): run `npm run build`');
  return import(found.href) as Promise<SimulatorModule>;
}

const tomlString = (value: string) => JSON.stringify(value);

function alignComments(lines: ([string] | [string, string])[]): string {
  const width = Math.max(...lines.filter((l) => l.length > 1).map(([text]) => text.length));
  return lines.map(([text, comment]) => (comment ? `${text.padEnd(width)}  # ${comment}` : text)).join('\n');
}
