import { mkdirSync } from 'node:fs';
import { hostPathForRead, hostPathForWrite } from './container-fs.js';
import { parseArgs } from './argparse.js';
import { requireCudaDevice } from './cuda-device.js';
import { hangForever, killContainer, killLikeHostOom } from './fault-effects.js';
import type { FaultMode } from './faults.js';
import { frame, frozenFrame, PythonException, type PyFrame } from './python-traceback.js';
import { pythonPrint } from './python-stdout.js';
import { faultFor, sleepSimulated, type SimContext } from './sim-context.js';
import { UPSAMPLER_ARGS } from './transfer-args.js';
import { joinPython, type TransferItem } from './transfer-item.js';
import { readVideo } from './video-input.js';
import { writeVideo } from './video-output.js';

/*
 * The Pixtral prompt upsampler of cosmos-transfer1@5005e82: the standalone script
 * cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py and its use inside transfer.py
 * (--upsample_prompt, world_generation_pipeline.py). Paths below are relative to that repo.
 */
const SCRIPT = 'cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py';
const MODEL = 'cosmos_transfer1/auxiliary/upsampler/model/upsampler.py';
const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
const UTILS = 'cosmos_transfer1/diffusion/inference/inference_utils.py';
const VLLM = '/usr/local/lib/python3.12/dist-packages/vllm';
const CHECKPOINT = 'nvidia/Cosmos-UpsamplePrompt1-12B-Transfer';
/** vLLM start-up with the 12B model (tensor_parallel_size=1): not measured, [inferred]. */
const LOAD_SECONDS = 60;
/** One chat call, at most 300 new tokens (upsampler.py:60-63): [inferred]. */
const INFERENCE_SECONDS = 15;

/** upsampler_pipeline.py:50-66: deleted one by one at :68-69, with no existence check. */
export const TORCHRUN_KEYS = [
  'RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'GROUP_RANK', 'ROLE_RANK', 'ROLE_NAME', 'OMP_NUM_THREADS',
  'MASTER_ADDR', 'MASTER_PORT', 'TORCHELASTIC_USE_AGENT_STORE', 'TORCHELASTIC_MAX_RESTARTS', 'TORCHELASTIC_RUN_ID',
  'TORCH_NCCL_ASYNC_ERROR_HANDLING', 'TORCHELASTIC_ERROR_FILE',
];

/**
 * The model's answer, made deterministic (the real one samples at temperature 0.6): several lines, as a chat model
 * writes them, stripped of the whitespace around them (upsampler.py:117-118 `str(output).strip()`), and no longer
 * than max_tokens=300 allows (upsampler.py:62; ~4 characters a token [inferred]). `prompt` is what the model is
 * given: the prompt, or "describe the following images" when it is empty or missing (upsampler.py:95).
 */
export function rewritePrompt(prompt: string): string {
  const subject = prompt.replace(/\s+/g, ' ').trim().replace(/[.!?]+$/, '');
  const text = [
    `${subject}.`,
    '',
    'The scene is captured in crisp, photorealistic detail under soft, natural lighting, with realistic shadows and reflections.',
    'Textures, colors and materials stay true to life, and the camera moves smoothly so that every object stays consistent from the first frame to the last.',
  ].join('\n');
  return Array.from(text).slice(0, 1200).join('').trim();
}

/** Python's `text[:n]`, in code points. */
function pySlice(text: string, n: number): string {
  return Array.from(text).slice(0, n).join('');
}

/** upsampler_pipeline.py run on its own (the orchestrator's `enhance`): `torchrun --nproc_per_node=1 ... --prompt P --input_video V`. */
export async function runUpsampler(context: SimContext, argv: string[]): Promise<void> {
  // :48 `rank = int(os.environ["RANK"])`: plain `python` has no RANK.
  if (process.env.RANK === undefined) {
    throw new PythonException('KeyError', "'RANK'", [
      frame(SCRIPT, 48, '<module>', 'rank = int(os.environ["RANK"])', '           ~~~~~~~~~~^^^^^^^^'),
      frozenFrame('os', 685, '__getitem__'),
    ]);
  }
  const rank = Number.parseInt(process.env.RANK, 10);
  // :68-69 `del os.environ[dist_key]`: the first variable that is not set ends the script with a KeyError. torchrun
  // sets OMP_NUM_THREADS only for more than one process, so with --nproc_per_node=1 it must come from outside.
  for (const key of TORCHRUN_KEYS) {
    if (process.env[key] === undefined) {
      throw new PythonException('KeyError', `'${key}'`, [
        frame(SCRIPT, 69, '<module>', 'del os.environ[dist_key]', '    ~~~~~~~~~~^^^^^^^^^^'),
        frozenFrame('os', 701, '__delitem__'),
      ]);
    }
    delete process.env[key];
  }
  // :71 `if rank == 0: main()`: the other ranks do nothing and exit 0.
  if (rank !== 0) return;
  const args = parseArgs('upsampler_pipeline.py', UPSAMPLER_ARGS, argv);
  const prompt = typeof args.prompt === 'string' ? args.prompt : '';
  const fault = faultFor(context, prompt);
  const checkpointDir = String(args.checkpoint_dir);
  const offload = args.offload_prompt_upsampler === true;
  const main = frame(SCRIPT, 72, '<module>', 'main()');
  // :37 the model (vLLM) loads at construction, unless --offload_prompt_upsampler defers it to the first call (:41).
  if (!offload) await loadUpsampler(context, checkpointDir, fault, [main, frame(SCRIPT, 37, 'main', 'model = PixtralPromptUpsampler(args.checkpoint_dir, offload_prompt_upsampler=args.offload_prompt_upsampler)'), frame(MODEL, 39, '__init__', 'self._load_upsampler_model()')]);
  // :40 extract_video_frames (utils/misc.py:40-55): cv2 reads the first 2 frames; a missing or unreadable video
  // raises nothing, it gives no frames and the model is asked with the text alone.
  hostPathForRead(String(args.input_video));
  if (offload) await loadUpsampler(context, checkpointDir, fault, [main, frame(SCRIPT, 41, 'main', 'upsampled_prompt = model._prompt_upsample_with_offload(args.prompt, frame_paths)'), frame(MODEL, 78, '_prompt_upsample_with_offload', 'self._load_upsampler_model()')]);
  if (fault === 'hang') await hangForever();
  await sleepSimulated(context, INFERENCE_SECONDS);
  // :42 a plain print, not a loguru record: "Upsampled prompt: " and the whole answer, newlines included.
  pythonPrint(`Upsampled prompt: ${rewritePrompt(prompt || 'describe the following images')}\n`);
}

/** upsampler.py:48-59 `LLM(model=<checkpoint_dir>/nvidia/Cosmos-UpsamplePrompt1-12B-Transfer, gpu_memory_utilization=0.98, ...)`. */
async function loadUpsampler(context: SimContext, checkpointDir: string, fault: FaultMode | undefined, frames: PyFrame[]): Promise<void> {
  const llm = frame(MODEL, 50, '_load_upsampler_model', 'self.upsampler_model = LLM(');
  requireCudaDevice(context, frames[0] ?? llm);
  const model = joinPython(checkpointDir, CHECKPOINT);
  if (fault === 'missing_checkpoint') {
    // [inferred] how vLLM reports a missing model folder is not in the cosmos source.
    throw new PythonException('FileNotFoundError', `[Errno 2] No such file or directory: '${model}/params.json'`, [...frames, llm]);
  }
  if (fault === 'host_oom') {
    await sleepSimulated(context, LOAD_SECONDS / 3);
    await killLikeHostOom(context);
  }
  if (fault === 'killed' || fault === 'exit137') {
    await sleepSimulated(context, LOAD_SECONDS / 3);
    killContainer(context);
  }
  if (fault === 'oom') {
    // vLLM refuses to start unless 98 % of the card is free (upsampler.py:54): the start-up check of
    // vllm/v1/worker/gpu_worker.py init_device (vllm-project/vllm@35d5cda1), raised in a single-process engine.
    throw new PythonException(
      'ValueError',
      'Free memory on device (12.41/79.19 GiB) on startup is less than desired GPU memory utilization (0.98, 77.61 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.',
      [...frames, llm, frame(`${VLLM}/v1/worker/gpu_worker.py`, 151, 'init_device', 'raise ValueError(')],
    );
  }
  if (fault === 'exit1') {
    throw new PythonException('RuntimeError', 'CUDA error: an illegal memory access was encountered\nCUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1', [...frames, llm]);
  }
  await sleepSimulated(context, LOAD_SECONDS);
}

/**
 * transfer.py --upsample_prompt, world_generation_pipeline.py:713-726 on RANK 0: for each prompt of the batch, a
 * control clip for the model (:283-318) and the rewrite, which replaces the prompt before the guardrail.
 * `saveFolder` is what transfer.py passes as save_folder (its last item's subfolder, transfer.py:368).
 */
export async function upsamplePromptsInline(
  context: SimContext,
  items: TransferItem[],
  saveFolder: string,
  settings: { specControls: Record<string, Record<string, unknown>>; offload: boolean; checkpointDir: string; blurStrength: string; cannyThreshold: string },
): Promise<void> {
  const hintKey = upsamplerHintKey(settings.specControls);
  if (hintKey === undefined || context.rank !== 0) return;
  for (const [i, item] of items.entries()) {
    context.log('INFO', `${PIPELINE}:717:generate`, `Upsampling prompt ${i + 1}/${items.length}: ${pySlice(item.prompt, 50)}...`);
    const subfolder = joinPython(saveFolder, `video_${i}`);
    mkdirSync(hostPathForWrite(subfolder), { recursive: true });
    context.log('INFO', `${PIPELINE}:298:_process_prompt_upsampler`, `Upsampling prompt with controlnet: ${hintKey.key}`);
    let controlPath: unknown;
    if (hintKey.key === 'vis') {
      const given = settings.specControls[hintKey.details]?.input_control;
      if (given !== undefined && given !== null) {
        controlPath = given;
      } else {
        // inference_utils.py:676-694 generate_control_input: the first 10 frames of the item's video, blurred or edged.
        const name = `control_input_${hintKey.details}`;
        context.log('INFO', `${UTILS}:677:generate_control_input`, `Generating control input for ${name} with blur strength ${settings.blurStrength} and canny threshold ${settings.cannyThreshold}`);
        controlPath = `${subfolder}/${name}_upsampler.mp4`;
        context.log('INFO', `${UTILS}:692:generate_control_input`, `Saving control input to ${String(controlPath)}`);
        // :680 the item's video at its own size, [0, :, :10]; saved at 24 fps (:693).
        const video = await readVideo(item.inputVideo, []);
        await writeVideo(String(controlPath), { width: video.width, height: video.height, frames: Math.min(10, video.frames), fps: 24 }, { grey: true, cacheDir: context.home });
      }
    } else {
      // :315 seg/depth: the spec's own input_control, None when the control is computed on the fly.
      controlPath = settings.specControls[hintKey.key]?.input_control ?? null;
    }
    const frames = [
      frame('cosmos_transfer1/diffusion/inference/transfer.py', 433, '<module>', 'demo(args, control_inputs)'),
      frame('cosmos_transfer1/diffusion/inference/transfer.py', 363, 'demo', 'batch_outputs = pipeline.generate('),
      frame(PIPELINE, 720, 'generate', 'upsampled_prompt = self._process_prompt_upsampler('),
      frame(PIPELINE, 317, '_process_prompt_upsampler', 'prompt = self.prompt_upsampler._prompt_upsample_with_offload(prompt=prompt, video_path=input_control_path)'),
    ];
    if (settings.offload) await loadUpsampler(context, settings.checkpointDir, item.fault, [...frames, frame(MODEL, 78, '_prompt_upsample_with_offload', 'self._load_upsampler_model()')]);
    if (controlPath === null) {
      // upsampler.py:96-105: video_path None is not a str, so `for image_path in image_paths` iterates None.
      throw new PythonException('TypeError', "'NoneType' object is not iterable", [
        ...frames,
        frame(MODEL, 80, '_prompt_upsample_with_offload', 'upsampled_prompt = self._prompt_upsample(prompt, video_path)'),
        frame(MODEL, 104, '_prompt_upsample', '{"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{image_to_base64(image_path)}"}}'),
      ]);
    }
    await sleepSimulated(context, INFERENCE_SECONDS);
    item.prompt = rewritePrompt(item.prompt || 'describe the following images');
    context.log('INFO', `${PIPELINE}:724:generate`, `Upsampled prompt ${i + 1}: ${pySlice(item.prompt, 50)}...`);
  }
}

/**
 * world_generation_pipeline.py:258-271 `_init_prompt_upsampler`: "vis" (with details vis, else edge) when the spec
 * has vis or edge, else its first of seg/depth, else none (no upsampler: prompts are left alone).
 */
export function upsamplerHintKey(controls: Record<string, unknown>): { key: string; details: string } | undefined {
  const keys = Object.keys(controls);
  if (keys.some((k) => k === 'vis' || k === 'edge')) return { key: 'vis', details: keys.includes('vis') ? 'vis' : 'edge' };
  const other = keys.find((k) => k === 'seg' || k === 'depth');
  return other === undefined ? undefined : { key: other, details: '' };
}

/** world_generation_pipeline.py:215-220 and :262-281, after the model has loaded: on RANK 0 only. */
export async function initInlineUpsampler(
  context: SimContext,
  controls: Record<string, unknown>,
  settings: { offload: boolean; checkpointDir: string; fault: FaultMode | undefined },
): Promise<void> {
  if (process.env.RANK === undefined) {
    throw new PythonException('KeyError', "'RANK'", [
      frame('cosmos_transfer1/diffusion/inference/transfer.py', 433, '<module>', 'demo(args, control_inputs)'),
      frame('cosmos_transfer1/diffusion/inference/transfer.py', 262, 'demo', 'pipeline = DiffusionControl2WorldGenerationPipeline('),
      frame(PIPELINE, 217, '__init__', 'if int(os.environ["RANK"]) == 0:', '       ~~~~~~~~~~^^^^^^^^'),
      frozenFrame('os', 685, '__getitem__'),
    ]);
  }
  if (context.rank !== 0) return;
  context.log('INFO', `${PIPELINE}:262:_init_prompt_upsampler`, 'Initializing prompt upsampler...');
  const hint = upsamplerHintKey(controls);
  if (hint !== undefined && !settings.offload) {
    await loadUpsampler(context, settings.checkpointDir, settings.fault, [
      frame(PIPELINE, 219, '__init__', 'self._init_prompt_upsampler()'),
      frame(PIPELINE, 274, '_init_prompt_upsampler', 'self.prompt_upsampler = PixtralPromptUpsampler('),
      frame(MODEL, 39, '__init__', 'self._load_upsampler_model()'),
    ]);
  }
  context.log('INFO', `${PIPELINE}:279:_init_prompt_upsampler`, `Prompt upsampler initialized with hint key: ${hint?.key ?? 'None'} and hint details: ${hint?.details || 'None'}`);
}
