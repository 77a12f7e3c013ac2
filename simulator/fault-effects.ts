import { frame, PythonException, type PyFrame } from './python-traceback.js';
import type { SimContext } from './sim-context.js';

const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
const BASE_PIPELINE = 'cosmos_transfer1/utils/base_world_generation_pipeline.py';
const UTILS = 'cosmos_transfer1/diffusion/inference/inference_utils.py';
const MODEL_CTRL = 'cosmos_transfer1/diffusion/model/model_ctrl.py';
const SAMPLER = 'cosmos_transfer1/diffusion/diffusion/modules/res_sampler.py';
const TORCH = '/usr/local/lib/python3.12/dist-packages/torch';

/** transfer.py's call into one chunk's sampling (cosmos-transfer1@5005e82), down to the sampler's x0_fn. */
export const GENERATE_FRAMES: PyFrame[] = [
  frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'),
  frame(TRANSFER, 363, 'demo', 'batch_outputs = pipeline.generate('),
  frame(PIPELINE, 775, 'generate', 'model_outputs = self._run_model_with_offload('),
  frame(PIPELINE, 450, '_run_model_with_offload', 'samples = self._run_model('),
  frame(PIPELINE, 616, '_run_model', 'samples = generate_world_from_control('),
  frame(UTILS, 747, 'generate_world_from_control', 'sample = model.generate_samples_from_batch('),
];

const SAMPLING_FRAMES: PyFrame[] = [
  ...GENERATE_FRAMES,
  frame(MODEL_CTRL, 429, 'generate_samples_from_batch', 'samples = self.sampler(x0_fn, x_sigma_max, num_steps=num_steps, sigma_max=sigma_max)'),
  frame(`${TORCH}/nn/modules/module.py`, 1751, '_wrapped_call_impl', 'return self._call_impl(*args, **kwargs)'),
  frame(`${TORCH}/nn/modules/module.py`, 1762, '_call_impl', 'return forward_call(*args, **kwargs)'),
  frame(SAMPLER, 150, 'forward', 'return self._forward_impl(float64_x0_fn, x_sigma_max, sampler_cfg).to(in_dtype)'),
  frame(SAMPLER, 180, '_forward_impl', 'denoised_output = differential_equation_solver('),
  frame(SAMPLER, 280, 'sample_fn', 'x_at_eps, _ = fori_loop(0, num_step, step_fn, [input_xT_B_StateShape, None])'),
  frame(SAMPLER, 207, 'fori_loop', 'val = body_fun(i, val)'),
  frame(SAMPLER, 265, 'step_fn', 'x0_pred_B_StateShape = x0_fn(input_x_B_StateShape, sigma_cur_0 * ones_B)'),
  frame(SAMPLER, 132, 'float64_x0_fn', 'return x0_fn(x_B_StateShape.to(in_dtype), t_B.to(in_dtype)).to(torch.float64)'),
  frame(MODEL_CTRL, 304, 'x0_fn', 'cond_x0 = self.denoise('),
];

/** Where a CUDA OOM of the DiT lands: its attention (the frames between denoise and the attention are abridged). */
export function outOfMemoryError(context: SimContext): PythonException {
  const gpu = context.localRank;
  return new PythonException(
    'torch.OutOfMemoryError',
    `CUDA out of memory. Tried to allocate 2.45 GiB. GPU ${gpu} has a total capacity of 79.19 GiB of which 1.21 GiB is free. Process 48211 has 77.97 GiB memory in use. Of the allocated memory 74.12 GiB is allocated by PyTorch, and 2.31 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)`,
    [
      ...SAMPLING_FRAMES,
      frame('cosmos_transfer1/diffusion/module/attention.py', 460, 'forward', 'return self.cal_attn(q, k, v, mask)'),
      frame('cosmos_transfer1/diffusion/module/attention.py', 434, 'cal_attn', 'out = self.attn_op(q, k, v, core_attention_bias_type="no_bias", core_attention_bias=None)  # [B, Mq, H, V]'),
    ],
  );
}

export function genericRuntimeError(): PythonException {
  return new PythonException(
    'RuntimeError',
    'CUDA error: an illegal memory access was encountered\nCUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1',
    SAMPLING_FRAMES,
  );
}

/**
 * Context parallelism splits the 16 latent frames of every 121-frame chunk across the GPUs:
 * diffusion/module/parallel.py:47 `assert x.shape[seq_dim] % cp_size == 0, f"{x.shape[seq_dim]} cannot divide cp_size
 * {cp_size}"`, first reached when the conditioning latent is split (model_ctrl.py:263), i.e. at the first chunk's
 * sampling, after the whole model has loaded. Every rank raises it.
 */
export function contextParallelError(cpSize: number): PythonException {
  return new PythonException('AssertionError', `16 cannot divide cp_size ${cpSize}`, [
    ...GENERATE_FRAMES,
    frame(MODEL_CTRL, 396, 'generate_samples_from_batch', 'x0_fn = self.get_x0_fn_from_batch('),
    frame(MODEL_CTRL, 263, 'get_x0_fn_from_batch', 'latent_hint = split_inputs_cp(latent_hint, seq_dim=seq_dim, cp_group=cp_group)'),
    frame('cosmos_transfer1/diffusion/module/parallel.py', 47, 'split_inputs_cp', 'assert x.shape[seq_dim] % cp_size == 0, f"{x.shape[seq_dim]} cannot divide cp_size {cp_size}"'),
  ]);
}

/**
 * The base DiT checkpoint is missing. The default models have no base_load_from: the file is read by _load_network
 * (world_generation_pipeline.py:334 → inference_utils.py:229 torch.load) after the model was built, as
 * `f"{checkpoint_dir}/{checkpoint_name}"`; --offload_diffusion_transformer defers that to the first generation.
 */
export function missingCheckpointError(checkpointDir: string, checkpointName: string, atGeneration: boolean): PythonException {
  const path = `${checkpointDir}/${checkpointName}`;
  const entry = atGeneration
    ? [
        frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'),
        frame(TRANSFER, 363, 'demo', 'batch_outputs = pipeline.generate('),
        frame(PIPELINE, 775, 'generate', 'model_outputs = self._run_model_with_offload('),
        frame(PIPELINE, 444, '_run_model_with_offload', 'self._load_network()'),
      ]
    : [
        frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'),
        frame(TRANSFER, 262, 'demo', 'pipeline = DiffusionControl2WorldGenerationPipeline('),
        frame(PIPELINE, 204, '__init__', 'super().__init__('),
        frame(BASE_PIPELINE, 88, '__init__', 'self._load_network()'),
      ];
  return new PythonException('FileNotFoundError', `[Errno 2] No such file or directory: '${path}'`, [
    ...entry,
    frame(PIPELINE, 334, '_load_network', 'load_network_model(self.model, f"{self.checkpoint_dir}/{self.checkpoint_name}")'),
    frame(UTILS, 229, 'load_network_model', 'net_state_dict = torch.load(ckpt_path, map_location="cpu", weights_only=False)  # , weights_only=True)'),
    frame(`${TORCH}/serialization.py`, 1484, 'load', 'with _open_file_like(f, "rb") as opened_file:'),
    frame(`${TORCH}/serialization.py`, 759, '_open_file_like', 'return _open_file(name_or_buffer, mode)'),
    frame(`${TORCH}/serialization.py`, 740, '__init__', 'super().__init__(open(name, mode))'),
  ]);
}

/**
 * The kernel's OOM killer when host RAM runs out (each rank holds T5-11B, ~40 GB, while loading: cosmos-predict1 #18,
 * same loader): it SIGKILLs one process, the largest, here rank 0's worker. The launcher is not the victim, so
 * torchrun sees the worker die with -9, SIGTERMs the other ranks and prints its ChildFailedError summary with
 * "exitcode  : -9" and "Signal 9 (SIGKILL) received by PID n", then exits 1
 * (torch/distributed/elastic/multiprocessing/errors/__init__.py ProcessFailure, pytorch/pytorch@1c94016e).
 * The other ranks are stuck in the same load until torchrun's SIGTERM ends them. Without torchrun (plain python)
 * the shell sees 137. Docker's OOMKilled stays false here, as when the host's global OOM killer (not the
 * container's memory limit) picks the victim [inferred].
 */
export async function killLikeHostOom(context: SimContext): Promise<never> {
  if (context.rank !== 0) return hangForever();
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not end the process');
}

/**
 * Like `docker kill` (or a host shutdown): SIGKILL for every process of the container at once, so nothing prints
 * a summary, the wrapping shell dies too and Docker records exit 137 with OOMKilled false. The simulated container
 * runs its command in its own process group (supervisor.ts), which is what signal 0-group reaches; outside a
 * simulated container only this process and its launcher are killed.
 */
export function killContainer(context: SimContext): never {
  if (context.containerName !== '') process.kill(0, 'SIGKILL');
  if (context.underTorchrun) process.kill(process.ppid, 'SIGKILL');
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not end the process');
}

/** Stops printing and never exits until killed. */
export function hangForever(): Promise<never> {
  setInterval(() => undefined, 1 << 30);
  return new Promise<never>(() => undefined);
}
