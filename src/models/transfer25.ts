import type { ModelType, PlanContext, StagedInput } from './model-type.js';
import { assessTransfer25, createTransfer25Tracker, transfer25Failures } from './transfer25-log.js';
import { resolveTransfer25Params, transfer25Controls, transfer25Defaults, transfer25ParamsSchema, type Transfer25Params } from './transfer25-params.js';
import { readVideoResult } from './video-result.js';
import type { JobItem } from './model-type.js';

/** Chunks of 93 frames overlapping by 1: N = 1 if T ≤ 93 else 1 + ceil((T − 93) / 92) (inference_pipeline.py _get_num_chunks). */
export function countChunks25(frames: number): number {
  return frames <= 93 ? 1 : 1 + Math.ceil((frames - 93) / 92);
}

const hintKeys = (p: Transfer25Params) => transfer25Controls.filter((c) => p.weights[c] > 0);

/** One sample's spec (`name` = the run id, so its outputs are `<run id>.mp4` …), with absolute container paths. */
function buildSample(item: JobItem, params: Transfer25Params, inputsDir: string): { spec: Record<string, unknown>; inputs: StagedInput[] } {
  const id = item.run.id;
  const inputs: StagedInput[] = [{ linkName: `${id}_color.mp4`, file: item.prompt.inputs.video }];
  const block = (control: (typeof transfer25Controls)[number]) => {
    const given = control === 'depth' ? item.prompt.inputs.depth : control === 'seg' ? item.prompt.inputs.seg : undefined;
    if (given) inputs.push({ linkName: `${id}_${control}.mp4`, file: given });
    return {
      control_weight: params.weights[control],
      ...(given ? { control_path: `${inputsDir}/${id}_${control}.mp4` } : {}),
      ...(control === 'edge' ? { preset_edge_threshold: params.edge_threshold } : {}),
      ...(control === 'vis' ? { preset_blur_strength: params.blur_strength } : {}),
    };
  };
  const spec: Record<string, unknown> = {
    name: id,
    prompt: item.prompt.promptText,
    negative_prompt: item.prompt.negativePrompt,
    video_path: `${inputsDir}/${id}_color.mp4`,
    guidance: params.guidance,
    seed: params.seed,
    num_steps: params.num_steps,
    resolution: params.resolution,
    // A string in the spec (config.py: `sigma_max: str | None`, parsed with float()).
    ...(params.sigma_max !== undefined ? { sigma_max: String(params.sigma_max) } : {}),
    keep_input_resolution: params.keep_input_resolution,
    ...Object.fromEntries(hintKeys(params).map((c) => [c, block(c)])),
  };
  return { spec, inputs };
}

function launch(context: PlanContext, gpus: number, specPaths: string[], outputsDir: string, distilled: boolean) {
  const { host } = context;
  return {
    image: host.image,
    // The checkout at /workspace with the image's own venv kept (an anonymous volume, as the official run line has),
    // and remote_dir at its own path so the absolute paths in the specs are the same on the host and inside.
    // Its checkpoints are fetched into the Hugging Face cache under /root/.cache (checkpoint_db.py), the host's folder if given.
    mounts: [`${host.workspace}:/workspace`, '/workspace/.venv', `${host.remoteDir}:${host.remoteDir}`, ...(host.checkpoints ? [`${host.checkpoints}:/root/.cache`] : []), ...host.mounts],
    workdir: '/workspace',
    env: distilled ? { COSMOS_EXPERIMENTAL_CHECKPOINTS: '1' } : {} as Record<string, string>,
    command: [
      'torchrun', `--nproc_per_node=${gpus}`, '--nnodes=1', '--node_rank=0', 'examples/inference.py',
      '-i', ...specPaths, '-o', outputsDir, ...(distilled ? ['--model', 'edge/distilled'] : []),
    ],
  };
}

/** Cosmos-Transfer2.5-2B (examples/inference.py), per ../shared/reference/cosmos-transfer2.5-contract.md. */
export const transfer25Model: ModelType<Transfer25Params> = {
  name: 'transfer2.5',
  summary: 'Cosmos-Transfer2.5-2B: video to video guided by edge, vis, depth and segmentation controls (distilled edge: 4 steps)',
  params: transfer25ParamsSchema,
  defaults: transfer25Defaults,
  resolveParams: (input) => resolveTransfer25Params(input),
  startsFrom: 'prompt',
  servedByDefault: false,
  maxItemsPerJob: 100,
  // Mixed hint-key sets switch the whole batch to the multicontrol model (inference.py __init__): group by them.
  batchKey: (p) => `${hintKeys(p).join('+')}${p.distilled ? '/distilled' : ''}`,
  failures: transfer25Failures,
  // Fetched lazily into the HF cache (packages/cosmos-oss/cosmos_oss/checkpoints_transfer2.py).
  checkpoints: ['nvidia/Cosmos-Transfer2.5-2B', 'nvidia/Cosmos-Predict2.5-2B/tokenizer.pth', 'nvidia/Cosmos-Reason1-7B', 'nvidia/Cosmos-Guardrail1'],
  // The host's checkpoints folder is mounted at /root/.cache, whose huggingface/ is the default HF_HOME.
  checkpointLocation: (host) => (host.checkpoints ? { kind: 'hf-cache', path: `${host.checkpoints}/huggingface` } : null),
  // "Cosmos-Transfer2.5-2B: 65.4 GB" of GPU memory on one GPU (docs/inference.md); read as GiB, the stricter.
  minFreeGpuMemoryMiB: Math.ceil(65.4 * 1024),
  // Loaded with from_pretrained at `main` into the same cache (contract §2.4, §6.2): SAM2 with GroundingDINO-base for
  // segmentation computed on the fly, Qwen3Guard and SigLIP for the guardrails. (Video-Depth-Anything keeps its
  // weights in cosmos_depth_models/, not in the hub layout.)
  hfCacheModels: (host) => ({
    cache: host.checkpoints ? `${host.checkpoints}/huggingface` : null,
    repos: {
      'segmentation computed on the fly': ['facebook/sam2-hiera-large', 'IDEA-Research/grounding-dino-base'],
      guardrails: ['Qwen/Qwen3Guard-Gen-0.6B', 'google/siglip-so400m-patch14-384'],
    },
  }),

  planJob(context) {
    const { layout, items } = context;
    const params = items.map((item) => resolveTransfer25Params(item.run.executionConfig));
    const samples = items.map((item, i) => buildSample(item, params[i]!, layout.abs.inputsDir));
    const specName = (i: number) => `${items[i]!.run.id}.json`;
    const texts = Object.fromEntries(samples.map((s, i) => [specName(i), `${JSON.stringify(s.spec, null, 2)}\n`]));
    return {
      inputs: samples.flatMap((s) => s.inputs),
      texts,
      launch: launch(context, context.host.gpusPerJob, items.map((_, i) => `${layout.abs.inputsDir}/${specName(i)}`), layout.abs.outputsDir, params[0]!.distilled),
      logPath: layout.abs.logPath,
      gpus: context.host.gpusPerJob,
      items: items.map((item, i) => ({
        runId: item.run.id,
        outputDir: '',
        filePrefix: item.run.id,
        localName: (name: string) => localNameOf(item.run.id, name),
        localTexts: { 'spec.json': texts[specName(i)]! },
        chunks: countChunks25(item.prompt.inputs.video.frames),
      })),
    };
  },

  trackProgress: (plan) => createTransfer25Tracker(
    plan.items.map((i) => i.runId), plan.items.map((i) => i.chunks),
    plan.items.map((i) => Number((JSON.parse(i.localTexts['spec.json']!) as { num_steps: number }).num_steps)), plan.gpus,
  ),

  assessJob: assessTransfer25,

  async readResult(files) {
    const roles = Object.fromEntries(files.map((f) => [f.name, roleOf(f.name)]));
    return { roles, result: await readVideoResult(files, 'output.mp4') };
  },
};

/** `<id>.mp4` → output.mp4, `<id>.txt` → output.txt, `<id>.json` → resolved-spec.json, `<id>_control_edge.mp4` → control_edge.mp4. */
function localNameOf(runId: string, name: string): string {
  const rest = name.slice(runId.length);
  if (rest === '.mp4' || rest === '.jpg') return `output${rest}`;
  if (rest === '.txt') return 'output.txt';
  if (rest === '.json') return 'resolved-spec.json';
  return rest.replace(/^_/, '');
}

function roleOf(name: string): string {
  if (name === 'output.mp4') return 'video';
  if (name === 'output.txt') return 'prompt';
  if (name.endsWith('spec.json')) return 'spec';
  if (name.startsWith('control_') || name.startsWith('mask_')) return 'control';
  return 'file';
}
