import { frame, PythonException, type PyFrame } from './python-traceback.js';
import type { SimContext } from './sim-context.js';

/**
 * The tracebacks the Transfer2.5 simulation raises, with frames from cosmos-transfer2.5@2ff49d0 (line numbers read
 * there). Frames inside libraries are abridged to the ones named; the final `Type: message` line is what matters.
 * The venv is /workspace/.venv (Dockerfile `uv sync`, Python 3.13 from `.python-version`); the location of the uv
 * managed interpreter's stdlib is inferred.
 */
const EXAMPLE = 'examples/inference.py';
const INFERENCE = 'cosmos_transfer2/inference.py';
const PIPELINE = 'cosmos_transfer2/_src/transfer2/inference/inference_pipeline.py';
const MODEL = 'cosmos_transfer2/_src/transfer2/models/vid2vid_model_control_vace_rectified_flow.py';
const CHECKPOINT_DB = 'cosmos_transfer2/_src/imaginaire/utils/checkpoint_db.py';
const TORCH = '/workspace/.venv/lib/python3.13/site-packages/torch';
const STDLIB = '/root/.local/share/uv/python/cpython-3.13-linux-x86_64-gnu/lib/python3.13';

const MAIN: PyFrame = frame(EXAMPLE, 94, '<module>', 'main(args)');
const GENERATE: PyFrame[] = [
  MAIN,
  frame(EXAMPLE, 78, 'main', 'inference.generate(inference_samples, output_dir=args.setup.output_dir)'),
  frame(INFERENCE, 168, 'generate', 'output_path = self._generate_sample(sample, output_dir, sample_id=i_sample)'),
];
const SAMPLING: PyFrame[] = [
  ...GENERATE,
  frame(INFERENCE, 260, '_generate_sample', 'output_video, control_video_dict, mask_video_dict, fps, _ = self.inference_pipeline.generate_img2world('),
  frame(PIPELINE, 642, 'generate_img2world', 'sample = self.model.generate_samples_from_batch('),
  frame(MODEL, 442, 'generate_samples_from_batch', 'velocity_pred = velocity_fn(noise, latent_model_input, timestep.unsqueeze(0))'),
  frame(MODEL, 304, 'velocity_fn', 'cond_v = self.denoise(noise, noise_x, timestep, condition)'),
  frame(`${TORCH}/nn/modules/module.py`, 1751, '_wrapped_call_impl', 'return self._call_impl(*args, **kwargs)'),
  frame(`${TORCH}/nn/modules/module.py`, 1762, '_call_impl', 'return forward_call(*args, **kwargs)'),
];

/** `[rankN]:`-prefixed under torchrun (the worker adds the prefix); GPU index = LOCAL_RANK. */
export function outOfMemory25(context: SimContext): PythonException {
  return new PythonException(
    'torch.OutOfMemoryError',
    `CUDA out of memory. Tried to allocate 3.38 GiB. GPU ${context.localRank} has a total capacity of 79.19 GiB of which 2.05 GiB is free. Process 51873 has 77.13 GiB memory in use. Of the allocated memory 71.64 GiB is allocated by PyTorch, and 4.97 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)`,
    SAMPLING,
  );
}

export function cudaError25(): PythonException {
  return new PythonException(
    'RuntimeError',
    'CUDA error: an illegal memory access was encountered\nCUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1\nCompile with `TORCH_USE_CUDA_DSA` to enable device-side assertions.',
    SAMPLING,
  );
}

export interface HfFile {
  uuid: string;
  name: string;
  repository: string;
  revision: string;
  filename: string;
}

/** `_hf_download`: `uvx hf>=1.3.5 download <repo> --repo-type model --revision <rev> <file>` via check_call. */
export function hfCommand(file: HfFile): string[] {
  return ['uvx', 'hf>=1.3.5', 'download', file.repository, '--repo-type', 'model', '--revision', file.revision, file.filename];
}

/** shlex.join(): arguments with shell metacharacters are single-quoted. */
export function shlexJoin(args: string[]): string {
  return args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'"'"'`)}'`)).join(' ');
}

export function downloadFailed(file: HfFile): PythonException {
  const cmd = `[${hfCommand(file).map((arg) => `'${arg}'`).join(', ')}]`;
  return new PythonException('subprocess.CalledProcessError', `Command '${cmd}' returned non-zero exit status 1.`, [
    MAIN,
    frame(EXAMPLE, 77, 'main', 'inference = Control2WorldInference(args.setup, batch_hint_keys=batch_hint_keys)'),
    frame(INFERENCE, 124, '__init__', 'self.inference_pipeline = ControlVideo2WorldInference('),
    frame(CHECKPOINT_DB, 298, 'download', 'return self.hf.download()'),
    frame(CHECKPOINT_DB, 187, 'download', 'self._path = self._download()'),
    frame(CHECKPOINT_DB, 208, '_download', 'path = _hf_download(cmd_args)'),
    frame(CHECKPOINT_DB, 166, '_hf_download', 'subprocess.check_call(cmd, text=True)'),
    frame(`${STDLIB}/subprocess.py`, 419, 'check_call', 'raise CalledProcessError(retcode, cmd)'),
  ]);
}

/** `keep_going=False`: cosmos_transfer2/inference.py raises a bare Exception for a guardrail block. */
export function guardrailException(message: string, video: boolean): PythonException {
  const raise = video
    ? frame(INFERENCE, 327, '_generate_sample', 'raise Exception("Guardrail blocked video2world generation.")')
    : frame(INFERENCE, 221, '_generate_sample', 'raise Exception(message)');
  return new PythonException('Exception', message, [...GENERATE, raise]);
}

export function invalidVideoExtension(ext: string): PythonException {
  return new PythonException('ValueError', `Invalid video extension: ${ext}`, [
    ...SAMPLING.slice(0, 4),
    frame(PIPELINE, 475, 'generate_img2world', 'input_frames, fps, aspect_ratio, original_hw = read_and_process_video('),
    frame('cosmos_transfer2/_src/transfer2/inference/utils.py', 374, 'read_and_process_video', 'raise ValueError(f"Invalid video extension: {ext}")'),
  ]);
}

/** inference_pipeline.py `_pad_input_frames`: a chunk that starts past the end of a control video. */
export function noInputFrames(): PythonException {
  return new PythonException('ValueError', 'No input frames; cannot pad. Verify that video frame counts match.', [
    ...SAMPLING.slice(0, 4),
    frame(PIPELINE, 296, '_pad_input_frames', 'raise ValueError("No input frames; cannot pad. Verify that video frame counts match.")'),
  ]);
}

/** MODEL_CHECKPOINTS has a distilled checkpoint for edge only (config.py); the key holds the hint key as a str. */
export function missingModelKey(variant: string, multicontrol: boolean): PythonException {
  const where = multicontrol
    ? frame(INFERENCE, 67, '__init__', 'MODEL_CHECKPOINTS[')
    : frame(INFERENCE, 54, '__init__', 'checkpoint = MODEL_CHECKPOINTS[ModelKey(variant=self.batch_hint_keys[0], distilled=self.is_distilled)]');
  return new PythonException('KeyError', `ModelKey(variant='${variant}', distilled=True)`, [
    MAIN,
    frame(EXAMPLE, 77, 'main', 'inference = Control2WorldInference(args.setup, batch_hint_keys=batch_hint_keys)'),
    where,
  ]);
}
