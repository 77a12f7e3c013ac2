import type { Command } from './command.js';

export interface CommandEntry {
  summary: string;
  usage: string;
  /** Words accepted as the first argument (for `cosmos list runs`, `cosmos completion bash`, …). */
  words?: string[];
  load(): Promise<Command>;
}

/** Every `cosmos` command, loaded on demand so a command pays only for the modules it uses. */
export const commandTable: Record<string, CommandEntry> = {
  'create prompt': { usage: 'create prompt "<text>" <video_dir>', summary: 'store a prompt and its input videos', load: async () => (await import('./commands/create-prompt.js')).createPromptCommand },
  run: { usage: 'run <model> <id…>', summary: 'run any model type (cosmos run --help lists them)', load: async () => (await import('./commands/run.js')).runCommand },
  inference: { usage: 'inference <prompt_id…>', summary: 'run Cosmos-Transfer1 (several ids: a batch)', load: async () => (await import('./commands/inference.js')).inferenceCommand },
  enhance: { usage: 'enhance <prompt_id>', summary: 'rewrite a prompt with the prompt upsampler', load: async () => (await import('./commands/enhance.js')).enhanceCommand },
  upscale: { usage: 'upscale <run_id>', summary: 'upscale a finished run to 4K', load: async () => (await import('./commands/upscale.js')).upscaleCommand },
  retry: { usage: 'retry <run_id>', summary: 'start a failed or cancelled run again, linked to it', load: async () => (await import('./commands/retry.js')).retryCommand },
  list: { usage: 'list prompts|runs', summary: 'list prompts or runs, newest first, with filters', words: ['prompts', 'runs'], load: async () => (await import('./commands/list.js')).listCommand },
  search: { usage: 'search <text>', summary: 'find prompts (text, name, id) and runs (id)', load: async () => (await import('./commands/search.js')).searchCommand },
  show: { usage: 'show <ps_|rs_|bt_ id>', summary: 'a prompt with its runs, a run with lineage, files and errors, a batch', load: async () => (await import('./commands/show.js')).showCommand },
  status: { usage: 'status', summary: 'GPUs, containers, orphan containers and zombie runs per host', load: async () => (await import('./commands/status.js')).statusCommand },
  queue: { usage: 'queue [pause|resume]', summary: 'the GPU queue: running and waiting jobs with positions and estimates; pause or resume it', words: ['pause', 'resume'], load: async () => (await import('./commands/queue.js')).queueCommand },
  host: { usage: 'host drain|undrain <name>', summary: 'let a GPU host finish its jobs and take no new ones, or take work again', words: ['drain', 'undrain'], load: async () => (await import('./commands/host.js')).hostCommand },
  doctor: { usage: 'doctor', summary: 'check each GPU host is ready: docker, image, NVIDIA runtime, GPUs, checkpoints, disk (--smoke: a real job)', load: async () => (await import('./commands/doctor.js')).doctorCommand },
  clean: { usage: 'clean', summary: 'remove stopped containers, finished job folders and unused cache files from GPU hosts', load: async () => (await import('./commands/clean.js')).cleanCommand },
  logs: { usage: 'logs <run_id>', summary: 'print a run\'s log (-f: follow it while it runs)', load: async () => (await import('./commands/logs.js')).logsCommand },
  cancel: { usage: 'cancel <run_id|batch_id>', summary: 'cancel a run or a whole batch', load: async () => (await import('./commands/cancel.js')).cancelCommand },
  verify: { usage: 'verify', summary: 'check recorded files against disk and manifests (--fix)', load: async () => (await import('./commands/verify.js')).verifyCommand },
  delete: { usage: 'delete prompt|run <id>', summary: 'delete a prompt or a run and its files', words: ['prompt', 'run'], load: async () => (await import('./commands/delete.js')).deleteCommand },
  rate: { usage: 'rate <run_id> <1-5>', summary: 'rate a completed run', load: async () => (await import('./commands/rate.js')).rateCommand },
  prepare: { usage: 'prepare <png_dir>', summary: 'render a PNG sequence into input videos', load: async () => (await import('./commands/prepare.js')).prepareCommand },
  sim: { usage: 'sim install|fault', summary: 'install the GPU-host simulator, plant faults in it', words: ['install', 'fault'], load: async () => (await import('./commands/sim.js')).simCommand },
  worker: { usage: 'worker', summary: 'run the Temporal worker for the configured GPU hosts', load: async () => (await import('./commands/worker.js')).workerCommand },
  api: { usage: 'api', summary: 'serve the HTTP API', load: async () => adaptEntryPoint(await import('./commands/api.js').then((m) => ({ help: m.apiHelp, run: m.runApi }))) },
  dev: { usage: 'dev', summary: 'everything embedded: Temporal, PostgreSQL, worker, API', load: async () => adaptEntryPoint(await import('./commands/dev.js').then((m) => ({ help: m.devHelp, run: m.runDev }))) },
  completion: { usage: 'completion bash|zsh', summary: 'print a shell completion script', words: ['bash', 'zsh'], load: async () => (await import('./commands/completion.js')).completionCommand },
};

/** `cosmos api` and `cosmos dev` read their own flags and open their own connections. */
function adaptEntryPoint(entry: { help: string; run(args: string[]): Promise<number> }): Command {
  return { help: entry.help, options: { port: { type: 'string' }, bind: { type: 'string' } }, run: (args) => entry.run(args) };
}

/** `create prompt …` is the one two-word command; everything else is named by its first word. */
export function splitCommand(argv: string[]): { key: string; args: string[] } {
  if (argv[0] === 'create') return { key: `create ${argv[1] ?? ''}`.trim(), args: argv.slice(2) };
  return { key: argv[0] ?? '', args: argv.slice(1) };
}

export function describeCommands(): string {
  const width = Math.max(...Object.values(commandTable).map((entry) => entry.usage.length));
  return Object.values(commandTable).map((entry) => `  ${entry.usage.padEnd(width)}  ${entry.summary}`).join('\n');
}
