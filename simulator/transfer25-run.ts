import { mkdirSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { ArgparseExit } from './argparse.js';
import { hostPathForWrite } from './container-fs.js';
import { requireCudaDevice } from './cuda-device.js';
import { killContainer, killLikeHostOom } from './fault-effects.js';
import type { FaultMode } from './faults.js';
import { frame } from './python-traceback.js';
import { faultFor, sleepSimulated, type SimContext } from './sim-context.js';
import { parseTransfer25Args } from './transfer25-cli.js';
import { downloadFailed, hfCommand, missingModelKey, shlexJoin, type HfFile } from './transfer25-errors.js';
import { createLogger25, type Logger25 } from './transfer25-log.js';
import { containerCwd } from './transfer25-paths.js';
import { ValidationError } from './transfer25-pydantic.js';
import { pathStr, reprValue } from './transfer25-python.js';
import { generateSample, type RunState } from './transfer25-sample.js';
import { loadSamples, type ControlKey, type Sample } from './transfer25-spec.js';

/**
 * examples/inference.py of NVIDIA Cosmos-Transfer2.5 (cosmos-transfer2.5@2ff49d0): parse (tyro), load and validate
 * every spec, `init_output_dir`, build `Control2WorldInference` (checkpoints, model load) once, then
 * `generate()` runs the samples one after another.
 */
export const TRANSFER25_SCRIPT = 'examples/inference.py';
const INFERENCE = 'cosmos_transfer2/inference.py';
const CHECKPOINT_DB = 'cosmos_transfer2/_src/imaginaire/utils/checkpoint_db.py';

/** packages/cosmos-oss/cosmos_oss/checkpoints_transfer2.py: the registered single-view checkpoints. */
const CHECKPOINTS: Record<string, HfFile> = {
  edge: hf('61f5694b-0ad5-4ecd-8ad7-c8545627d125', 'general/edge', 'b67b64abda3801a9aceddbff2bdb86126c06db74'),
  depth: hf('626e6618-bfcd-4d9a-a077-1409e2ce353f', 'general/depth', 'dea7737ca29dd8d9086413c6dc5724b8250a0bb4'),
  vis: hf('ba2f44f2-c726-4fe7-949f-597069d9b91c', 'general/blur', 'eb5325b77d358944da58a690157dd2b8071bbf85'),
  seg: hf('5136ef49-6d8d-42e8-8abf-7dac722a304a', 'general/seg', '23057a4167b89de89a4a397fdbf3887994d115eb'),
  'edge/distilled': {
    ...hf('41f07f13-f2e4-4e34-ba4c-86f595acbc20', 'distilled/general/edge', 'bbaeedb2b57cc8b14a44653099e2551adb69dcc7'),
    name: 'nvidia/Cosmos-Transfer2.5-2B/distilled/edge',
  },
};

function hf(uuid: string, folder: string, revision: string): HfFile {
  return { uuid, name: `nvidia/Cosmos-Transfer2.5-2B/${folder}`, repository: 'nvidia/Cosmos-Transfer2.5-2B', revision, filename: `${folder}/${uuid}_ema_bf16.pt` };
}

export async function runTransfer25(context: SimContext, argv: string[], script = TRANSFER25_SCRIPT): Promise<void> {
  // The checkout holding examples/inference.py: log lines name files relative to the CWD from there.
  const repoRoot = posix.dirname(posix.dirname(posix.resolve(containerCwd(), script)));
  const log = createLogger25(context.rank, repoRoot);
  const rank0 = context.rank === 0;
  let cli;
  let loaded;
  try {
    cli = parseTransfer25Args(argv);
    loaded = loadSamples(cli.inputFiles, cli.overrides);
  } catch (error) {
    // handle_tyro_exception (config.py): a pydantic error while building Args is printed on rank 0, exit 1.
    if (error instanceof ValidationError) throw new ArgparseExit(1, rank0 ? `${error.message}\n` : '');
    throw error;
  }
  const { setup } = cli;
  let samples = loaded.samples;
  if (setup.benchmark === true && samples.length === 1) {
    samples = [samples[0], samples[0], samples[0], samples[0]] as Sample[];
    log('INFO', 'examples/inference.py:71:main', 'Repeating inference sample 4 times for benchmarking.');
  }
  const faults = new Map(samples.map((sample) => [sample, faultFor(context, sample.prompt)]));

  // init_output_dir (cosmos_oss/init.py): every rank creates it, rank 0 attaches console.log and debug.log.
  const outputDir = String(setup.output_dir);
  mkdirSync(hostPathForWrite(outputDir), { recursive: true });
  if (rank0) {
    log('INFO', 'packages/cosmos-oss/cosmos_oss/init.py:96:_init_log_files', `Log saved to ${pathStr(`${outputDir}/console.log`)}`);
    log.attachFiles(hostPathForWrite(outputDir));
  }

  const distilled = setup.model === 'edge/distilled';
  const gpus = Number(setup.context_parallel_size);
  await loadModel(context, log, loaded.hintKeys, distilled, [...faults.values()]);
  if (distilled) log('INFO', `${INFERENCE}:139:__init__`, 'Setting net_fake_score to None for distilled model inference');
  log('INFO', `${INFERENCE}:146:__init__`, `Found ${loaded.hintKeys.length} hint keys across all samples`);
  if (loaded.hintKeys.length > 1) {
    log('WARNING', `${INFERENCE}:148:__init__`, 'Loading the multicontrol model. Multicontrol inference is not strictly equal to single control');
  }
  if (rank0) {
    const configPath = pathStr(`${outputDir}/config.yaml`);
    writeFileSync(hostPathForWrite(configPath), configYaml(setup, loaded.hintKeys));
    log('INFO', `${INFERENCE}:156:__init__`, `Saved config to ${configPath}`);
  }

  log('INFO', `${INFERENCE}:163:generate`, `Generating ${samples.length} samples: ${reprValue(samples.map((s) => s.name))}`);
  const run: RunState = {
    context, log, outputDir, distilled, gpus,
    guardrails: setup.disable_guardrails !== true, keepGoing: setup.keep_going !== false,
  };
  for (const [index, sample] of samples.entries()) {
    log('INFO', `${INFERENCE}:167:generate`, `[${index + 1}/${samples.length}] Processing sample ${sample.name}`);
    await generateSample(run, sample, faults.get(sample));
  }
}

/**
 * Control2WorldInference.__init__: the checkpoint list (one per hint key, or all four for multicontrol), each
 * fetched by `CheckpointConfig.download` → `_hf_download` (checkpoint_db.py, logged by rank 0; hf prints the local
 * path on stdout), then the weights load. The guardrail, text-encoder and VAE fetches are not simulated.
 */
async function loadModel(context: SimContext, log: Logger25, hintKeys: ControlKey[], distilled: boolean, faults: (FaultMode | undefined)[]): Promise<void> {
  requireCudaDevice(context, frame(INFERENCE, 124, '__init__', 'self.inference_pipeline = ControlVideo2WorldInference('));
  const keys: string[] = hintKeys.length === 1 ? hintKeys : ['edge', 'vis', 'depth', 'seg'];
  const files = keys.map((key) => {
    const file = CHECKPOINTS[distilled ? `${key}/distilled` : key];
    if (!file) throw missingModelKey(key, hintKeys.length > 1);
    return file;
  });
  const loadSeconds = context.settings.modelLoadSeconds;
  await sleepSimulated(context, loadSeconds * 0.2);
  if (faults.includes('host_oom')) {
    await sleepSimulated(context, loadSeconds * 0.2);
    await killLikeHostOom(context);
  }
  if (faults.includes('killed') || faults.includes('exit137')) {
    await sleepSimulated(context, loadSeconds * 0.2);
    killContainer(context);
  }
  const hubDir = `${process.env.HF_HOME ?? '/root/.cache/huggingface'}/hub`;
  for (const file of files) {
    log('INFO', `${CHECKPOINT_DB}:297:download`, `Downloading checkpoint ${file.name}(${file.uuid})`);
    log('INFO', `${CHECKPOINT_DB}:165:_hf_download`, shlexJoin(hfCommand(file)));
    if (faults.includes('missing_checkpoint')) throw downloadFailed(file);
    if (context.rank === 0) process.stdout.write(`${hubDir}/models--nvidia--Cosmos-Transfer2.5-2B/snapshots/${file.revision}/${file.filename}\n`);
  }
  await sleepSimulated(context, loadSeconds * 0.8);
}

/** Stand-in for LazyConfig.save_yaml(pipeline config): the real file is the full resolved model config. */
function configYaml(setup: Record<string, unknown>, hintKeys: ControlKey[]): string {
  return [
    '# cosmos-workflow GPU-host simulator: not the real resolved config (LazyConfig.save_yaml)',
    `model: ${String(setup.model)}`,
    `hint_keys: [${hintKeys.join(', ')}]`,
    `context_parallel_size: ${String(setup.context_parallel_size)}`,
    '',
  ].join('\n');
}
