import { mkdirSync, writeFileSync } from 'node:fs';
import { hostPathForRead, hostPathForWrite } from './container-fs.js';
import type { FaultMode } from './faults.js';
import { reprPython } from './python-json.js';
import { frame, PythonException, type PyFrame } from './python-traceback.js';
import { sleepSimulated, type SimContext } from './sim-context.js';
import type { ControlBlock } from './spec-loading.js';
import { readVideo, type Size } from './video-input.js';
import { writeVideo } from './video-output.js';

/*
 * One item of a cosmos-transfer1@5005e82 transfer.py run: the preprocessors that compute missing controls
 * (cosmos_transfer1/diffusion/inference/preprocessors.py) and the data augmentation that reads the videos
 * (inference_utils.py get_ctrl_batch). Paths are relative to that repo.
 */
export const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const PREPROCESSORS = 'cosmos_transfer1/diffusion/inference/preprocessors.py';
export const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
export const UTILS = 'cosmos_transfer1/diffusion/inference/inference_utils.py';

/** The single-mode job, or one line of a batch file. */
export interface TransferItem {
  prompt: string;
  inputVideo: string;
  /** This item's deep copy of the spec's controls (transfer.py:314), with its overrides merged. */
  controls: Record<string, ControlBlock>;
  /** Where computed control videos go: video_save_folder, or video_<i>/ in batch mode. */
  workDir: string;
  fault: FaultMode | undefined;
}

export interface PreparedItem extends TransferItem {
  frames: number;
  output: Size;
  chunks: number;
}

/** Python's os.path.join for two parts. */
export function joinPython(folder: string, name: string): string {
  if (name.startsWith('/')) return name;
  return folder === '' || folder.endsWith('/') ? `${folder}${name}` : `${folder}/${name}`;
}

/** Python's repr of a str argument in an f-string `{x=}`. */
function eq(name: string, value: string): string {
  return `${name}=${reprPython(value)}`;
}

/**
 * Preprocessors() is made once per run (transfer.py:233) and keeps each model once loaded
 * (preprocessors.py:190-234). Models that load by Hugging Face repo id go through the HF cache.
 */
export interface PreprocessorState {
  loaded: Set<string>;
}

interface AutoControl {
  /** preprocessors.py: the line of its `log.info(f"no input_control provided for ...")`. */
  logLine: number;
  /** What the log names: `generating input control video with <model>` (seg adds the prompt). */
  model: string;
  /** The models loaded by repo id on first use, and where (file:line) — through the HF cache. */
  hfRepos: { repo: string; file: string; line: number; code: string; library: 'transformers' | 'huggingface_hub' }[];
  /** The call from gen_input_control into the model: preprocessors.py line, its code, and the model's __init__ frame. */
  call: { line: number; code: string; initLine: number; initCode: string };
  /** The model's __call__ and its `assert os.path.exists(...)`. */
  assertAt: { file: string; line: number; fn: string; code: string };
  /** The output video's frame rate: the input's, or a fixed 30 (vis_control.py:108, edge_control.py:107). */
  fps: (inputFps: number) => number;
  /** Compute time per input frame, model seconds [inferred]. */
  secondsPerFrame: number;
  logs: (input: string, output: string, frames: { width: number; height: number; fps: number }) => [string, string][];
}

const AUTO_CONTROLS: Record<string, AutoControl> = {
  depth: {
    logLine: 158,
    model: 'DepthAnythingModel',
    hfRepos: [{ repo: 'depth-anything/Depth-Anything-V2-Small-hf', file: 'cosmos_transfer1/auxiliary/depth_anything/model/depth_anything.py', line: 37, code: 'self.image_processor = AutoImageProcessor.from_pretrained(', library: 'transformers' }],
    call: { line: 161, code: 'self.depth(', initLine: 204, initCode: 'self.depth_model = DepthAnythingModel()' },
    assertAt: { file: 'cosmos_transfer1/auxiliary/depth_anything/model/depth_anything.py', line: 81, fn: '__call__', code: 'assert os.path.exists(input_video)' },
    fps: (fps) => fps,
    secondsPerFrame: 0.25,
    logs: (input, output) => [['cosmos_transfer1/auxiliary/depth_anything/model/depth_anything.py:80:__call__', `Processing video: ${input} to generate depth video: ${output}`]],
  },
  seg: {
    logLine: 149,
    model: 'SAM',
    hfRepos: [
      { repo: 'facebook/sam2-hiera-large', file: 'cosmos_transfer1/auxiliary/sam2/sam2_model.py', line: 66, code: 'self.sam2_predictor = SAM2VideoPredictor.from_pretrained(SAM2_MODEL_CHECKPOINT).to(self.device)', library: 'huggingface_hub' },
      { repo: 'IDEA-Research/grounding-dino-tiny', file: 'cosmos_transfer1/auxiliary/sam2/sam2_model.py', line: 70, code: 'self.processor = AutoProcessor.from_pretrained(self.grounding_model_name)', library: 'transformers' },
    ],
    call: { line: 152, code: 'self.segmentation(', initLine: 225, initCode: 'self.seg_model = VideoSegmentationModel()' },
    assertAt: { file: 'cosmos_transfer1/auxiliary/sam2/sam2_model.py', line: 358, fn: '__call__', code: 'assert os.path.exists(input_video)' },
    fps: (fps) => fps,
    secondsPerFrame: 0.4,
    logs: (input, output) => [['cosmos_transfer1/auxiliary/sam2/sam2_model.py:355:__call__', `Processing video: ${input} to generate segmentation video: ${output} segmentation tensor: None`]],
  },
  vis: {
    logLine: 166,
    model: 'VisControlModel',
    hfRepos: [],
    call: { line: 169, code: 'self.vis(', initLine: 192, initCode: 'self.vis_model = VisControlModel(blur_strength=blur_strength)' },
    assertAt: { file: 'cosmos_transfer1/auxiliary/vis_control/vis_control.py', line: 40, fn: '_load_frame', code: 'assert os.path.exists(video_path)' },
    fps: () => 30,
    secondsPerFrame: 0.02,
    logs: (input, output) => [
      ['cosmos_transfer1/auxiliary/vis_control/vis_control.py:53:__call__', `VisControlModel: ${eq('input_video', input)} ${eq('output_video', output)}`],
      ['cosmos_transfer1/auxiliary/vis_control/vis_control.py:39:_load_frame', `Processing video: ${input} for vis control`],
    ],
  },
  edge: {
    logLine: 175,
    model: 'EdgeControlModel',
    hfRepos: [],
    call: { line: 178, code: 'self.edge(', initLine: 198, initCode: 'self.edge_model = EdgeControlModel(canny_threshold=canny_threshold)' },
    assertAt: { file: 'cosmos_transfer1/auxiliary/edge_control/edge_control.py', line: 33, fn: '_load_frame', code: 'assert os.path.exists(video_path)' },
    fps: () => 30,
    secondsPerFrame: 0.02,
    logs: (input, output) => [
      ['cosmos_transfer1/auxiliary/edge_control/edge_control.py:46:__call__', `EdgeControlModel: ${eq('input_video', input)} ${eq('output_video', output)}`],
      ['cosmos_transfer1/auxiliary/edge_control/edge_control.py:32:_load_frame', `Processing video: ${input} for edge control`],
    ],
  },
  keypoint: {
    logLine: 184,
    model: 'Openpose',
    hfRepos: [],
    call: { line: 185, code: 'self.keypoint(', initLine: 210, initCode: 'self.keypoint_model = HumanKeypointModel()' },
    assertAt: { file: 'cosmos_transfer1/auxiliary/human_keypoint/human_keypoint.py', line: 48, fn: '__call__', code: 'assert os.path.exists(input_video)' },
    fps: (fps) => Math.trunc(fps),
    secondsPerFrame: 0.1,
    logs: (input, output, video) => [
      ['cosmos_transfer1/auxiliary/human_keypoint/human_keypoint.py:47:__call__', `Processing video: ${input} to generate keypoint video: ${output}`],
      ['cosmos_transfer1/auxiliary/human_keypoint/human_keypoint.py:60:__call__', `frame width: ${video.width}, frame height: ${video.height}, fps: ${Math.trunc(video.fps)}`],
      ['cosmos_transfer1/auxiliary/human_keypoint/human_keypoint.py:61:__call__', 'start pose estimation for frames..'],
    ],
  },
};

/** The last log of the vis/edge models once their video is written. */
const SAVED_LOG: Record<string, [string, string]> = {
  vis: ['cosmos_transfer1/auxiliary/vis_control/vis_control.py:112:_save_output_video', 'Successfully saved vis control video to: '],
  edge: ['cosmos_transfer1/auxiliary/edge_control/edge_control.py:111:_save_output_video', 'Successfully saved edge control video to: '],
};

/** Fetching one of the auxiliary models into an empty HF cache: model seconds [inferred]. */
const HF_DOWNLOAD_SECONDS = 30;

/**
 * transfer.py:323-332 and preprocessors.py:53-92, 141-188: every depth/seg/keypoint/vis/edge control whose
 * `input_control` is missing or null is computed from the item's video into `<workDir>/<key>_input_control_<LOCAL_RANK>.mp4`
 * on every rank, whatever its control_weight (a weight of 0 is computed all the same); a seg block's
 * control_weight_prompt also makes a SAM weight map. Upscale, hdmap and lidar are never computed.
 */
export async function preprocessItem(
  context: SimContext,
  item: TransferItem,
  state: PreprocessorState,
  settings: { blurStrength: string; cannyThreshold: string },
): Promise<void> {
  mkdirSync(hostPathForWrite(item.workDir), { recursive: true });
  context.log('INFO', `${TRANSFER}:323:demo`, 'running preprocessor');
  for (const [key, config] of Object.entries(item.controls)) {
    const auto = AUTO_CONTROLS[key];
    if (!auto) continue;
    if (config.input_control === undefined || config.input_control === null) await computeControl(context, item, key, auto, state, settings);
    if (key === 'seg' && config.control_weight_prompt !== undefined && config.control_weight_prompt !== null) await segWeightMap(context, item, config);
  }
}

async function computeControl(
  context: SimContext,
  item: TransferItem,
  key: string,
  auto: AutoControl,
  state: PreprocessorState,
  settings: { blurStrength: string; cannyThreshold: string },
): Promise<void> {
  const output = joinPython(item.workDir, `${key}_input_control_${context.localRank}.mp4`);
  const config = item.controls[key] as ControlBlock;
  config.input_control = output;
  if (key === 'seg') {
    // preprocessors.py:147-148: the block's input_control_prompt, else the item's prompt, cut to 128 words.
    const given = config.input_control_prompt;
    const prompt = (typeof given === 'string' ? given : item.prompt).split(/\s+/).filter(Boolean).slice(0, 128).join(' ');
    context.log('INFO', `${PREPROCESSORS}:${auto.logLine}:gen_input_control`, `no input_control provided for ${key}. generating input control video with SAM using prompt=${reprPython(prompt)}`);
  } else {
    context.log('INFO', `${PREPROCESSORS}:${auto.logLine}:gen_input_control`, `no input_control provided for ${key}. generating input control video with ${auto.model}`);
  }
  const frames: PyFrame[] = [
    frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'),
    frame(TRANSFER, 324, 'demo', 'preprocessors('),
    frame(PREPROCESSORS, 56, '__call__', 'self.gen_input_control('),
    frame(PREPROCESSORS, auto.call.line, 'gen_input_control', auto.call.code),
  ];
  if (!state.loaded.has(key)) {
    if (key === 'depth') context.log('INFO', 'cosmos_transfer1/auxiliary/depth_anything/model/depth_anything.py:36:__init__', 'Loading Depth Anything model - depth-anything/Depth-Anything-V2-Small-hf...');
    for (const hf of auto.hfRepos) await loadByRepoId(context, hf, [...frames, frame(PREPROCESSORS, auto.call.initLine, key === 'seg' ? 'segmentation' : key, auto.call.initCode), frame(hf.file, hf.line, '__init__', hf.code)]);
    state.loaded.add(key);
  }
  const video = { width: 0, height: 0, fps: 0 };
  const logs = (input: string) => auto.logs(input, output, video);
  const host = item.inputVideo === '' ? undefined : hostPathForRead(item.inputVideo);
  if (host === undefined) {
    for (const [where, message] of logs(item.inputVideo).slice(0, key === 'vis' || key === 'edge' ? 2 : 1)) context.log('INFO', where, message);
    throw new PythonException('AssertionError', '', [...frames, frame(auto.assertAt.file, auto.assertAt.line, auto.assertAt.fn, auto.assertAt.code)]);
  }
  const input = await readVideo(item.inputVideo, frames);
  Object.assign(video, { width: input.width, height: input.height, fps: input.fps });
  for (const [where, message] of logs(item.inputVideo)) context.log('INFO', where, message);
  await sleepSimulated(context, auto.secondsPerFrame * input.frames);
  await writeVideo(output, { width: input.width, height: input.height, frames: input.frames, fps: auto.fps(input.fps) }, { grey: true, cacheDir: context.home });
  const saved = SAVED_LOG[key];
  if (saved) context.log('INFO', saved[0], `${saved[1]}${output}`);
}

/** preprocessors.py:72-92: SAM's binary weight map for control_weight_prompt (seg only since the Aug 2025 change). */
async function segWeightMap(context: SimContext, item: TransferItem, config: ControlBlock): Promise<void> {
  const prompt = String(config.control_weight_prompt);
  context.log('INFO', `${PREPROCESSORS}:74:__call__`, `seg: generating control weight tensor with SAM using prompt=${reprPython(prompt)}`);
  const tensor = joinPython(item.workDir, `seg_control_weight_${context.localRank}.pt`);
  const video = joinPython(item.workDir, `seg_control_weight_${context.localRank}.mp4`);
  const input = await readVideo(item.inputVideo, []);
  await sleepSimulated(context, 0.4 * input.frames);
  await writeVideo(video, { width: input.width, height: input.height, frames: input.frames, fps: input.fps }, { grey: true, cacheDir: context.home });
  // A stand-in for the torch tensor file: its bytes are not simulated.
  writeFileSync(hostPathForWrite(tensor), '');
  config.control_weight = tensor;
}

/**
 * A model loaded by repo id resolves through the HF cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, HF_HOME defaulting
 * to ~/.cache/huggingface): `models--<org>--<name>`. Missing, it is fetched into the cache; missing with
 * HF_HUB_OFFLINE set, the library raises ([inferred] wording: huggingface_hub's LocalEntryNotFoundError,
 * transformers' cached_file OSError).
 */
async function loadByRepoId(context: SimContext, hf: AutoControl['hfRepos'][number], frames: PyFrame[]): Promise<void> {
  const hubCache = process.env.HF_HUB_CACHE ?? `${process.env.HF_HOME ?? `${process.env.HOME ?? '/root'}/.cache/huggingface`}/hub`;
  const folder = `${hubCache}/models--${hf.repo.replaceAll('/', '--')}`;
  if (hostPathForRead(folder) !== undefined) return;
  if (/^(1|on|yes|true)$/i.test(process.env.HF_HUB_OFFLINE ?? '')) {
    throw hf.library === 'huggingface_hub'
      ? new PythonException(
          'huggingface_hub.errors.LocalEntryNotFoundError',
          "Cannot find the requested files in the disk cache and outgoing traffic has been disabled. To enable hf.co look-ups and downloads online, set 'HF_HUB_OFFLINE=0' as environment variable.",
          frames,
        )
      : new PythonException(
          'OSError',
          `We couldn't connect to 'https://huggingface.co' to load this file, couldn't find it in the cached files and it looks like ${hf.repo} is not the path to a directory containing a file named preprocessor_config.json.\nCheckout your internet connection or see how to run the library in offline mode at 'https://huggingface.co/docs/transformers/installation#offline-mode'.`,
          frames,
        );
  }
  await sleepSimulated(context, HF_DOWNLOAD_SECONDS);
  mkdirSync(hostPathForWrite(`${folder}/snapshots`), { recursive: true });
}
