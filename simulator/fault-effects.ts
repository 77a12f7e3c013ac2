import { frame, PythonException, type PyFrame } from './python-traceback.js';
import type { SimContext } from './sim-context.js';

const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
const TORCH = '/usr/local/lib/python3.12/dist-packages/torch';

const SAMPLING_FRAMES: PyFrame[] = [
  frame(TRANSFER, 413, '<module>', 'demo(args, control_inputs)'),
  frame(TRANSFER, 360, 'demo', 'batch_outputs = pipeline.generate('),
  frame(PIPELINE, 702, 'generate', 'videos = self._run_model_with_offload('),
  frame(PIPELINE, 634, '_run_model_with_offload', 'samples = self._run_model(prompt_embeddings, video, negative_prompt_embeddings, control_inputs)'),
  frame(PIPELINE, 615, '_run_model', 'latents = generate_world_from_control('),
  frame('cosmos_transfer1/diffusion/inference/inference_utils.py', 901, 'generate_world_from_control', 'latents = model.generate_samples_from_batch('),
  frame('cosmos_transfer1/diffusion/model/model_ctrl.py', 517, 'generate_samples_from_batch', 'x0 = self.denoise(noise_x, sigma, condition).x0'),
  frame(`${TORCH}/nn/modules/module.py`, 1751, '_wrapped_call_impl', 'return self._call_impl(*args, **kwargs)'),
  frame(`${TORCH}/nn/modules/module.py`, 1762, '_call_impl', 'return forward_call(*args, **kwargs)'),
];

export function outOfMemoryError(context: SimContext): PythonException {
  const gpu = context.localRank;
  return new PythonException(
    'torch.OutOfMemoryError',
    `CUDA out of memory. Tried to allocate 2.45 GiB. GPU ${gpu} has a total capacity of 79.19 GiB of which 1.21 GiB is free. Process 48211 has 77.97 GiB memory in use. Of the allocated memory 74.12 GiB is allocated by PyTorch, and 2.31 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)`,
    [...SAMPLING_FRAMES, frame('cosmos_transfer1/diffusion/module/attention.py', 212, 'forward', 'attn = torch.softmax(q @ k.transpose(-2, -1) * self.scale, dim=-1)')],
  );
}

export function genericRuntimeError(): PythonException {
  return new PythonException(
    'RuntimeError',
    'CUDA error: an illegal memory access was encountered\nCUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1',
    [...SAMPLING_FRAMES, frame('cosmos_transfer1/diffusion/module/blocks.py', 388, 'forward', 'x = self.attn(self.norm(x), context=crossattn_emb)')],
  );
}

export function missingCheckpointError(checkpointDir: string): PythonException {
  const path = `${checkpointDir.replace(/\/$/, '')}/nvidia/Cosmos-Transfer1-7B/base_model.pt`;
  return new PythonException('FileNotFoundError', `[Errno 2] No such file or directory: '${path}'`, [
    frame(TRANSFER, 413, '<module>', 'demo(args, control_inputs)'),
    frame(TRANSFER, 281, 'demo', 'pipeline = DiffusionControl2WorldGenerationPipeline('),
    frame(PIPELINE, 161, '__init__', 'super().__init__('),
    frame('cosmos_transfer1/diffusion/inference/world_generation_pipeline.py', 112, '_load_model', 'self.model = load_model_by_config(...)'),
    frame(`${TORCH}/serialization.py`, 1484, 'load', 'with _open_file_like(f, "rb") as opened_file:'),
    frame(`${TORCH}/serialization.py`, 759, '__init__', 'super().__init__(open(name, mode))'),
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
