import type { FailureSignatures, GuardrailLine } from '../gpu/classify-failure.js';

/*
 * How Cosmos-Transfer1 says it refused a job; the common signals (CUDA OOM, signals, torchrun) are in
 * gpu/classify-failure.ts. Sources read: nvidia-cosmos/cosmos-transfer1 at 5005e823dbd478ad8e51f6bc28a913a13a994b5f.
 */

// ---------------------------------------------------------------------------------------------------------------
// Guardrail: loguru CRITICAL records of these files, with exactly these messages.

const PRESETS = 'cosmos_transfer1/auxiliary/guardrail/common/presets.py';
const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';

const guardrail: GuardrailLine[] = [
  // presets.py:55 run_text_guardrail and :71 run_video_guardrail: log.critical(f"GUARDRAIL BLOCKED: {message}"),
  // where message is "<CLASSNAME>: <reason>" (common/core.py:57 GuardrailRunner.run_safety_check), e.g.
  // "BLOCKLIST: Input is empty", "LLAMAGUARD3: Prompt blocked by Llama Guard 3. ...",
  // "VIDEOCONTENTSAFETYFILTER: unsafe frames detected" (video_content_safety_filter.py:155). [cosmos-transfer1@5005e82]
  { file: PRESETS, message: /^GUARDRAIL BLOCKED: (.+)$/, final: false, reason: true },
  // world_generation_pipeline.py:735 / :797, one per blocked batch item (the run goes on while any item is safe).
  { file: PIPELINE, message: /^Input text prompt \d+ is not safe$/, final: false, what: 'prompt' },
  { file: PIPELINE, message: /^Generated video \d+ is not safe$/, final: false, what: 'video' },
  // world_generation_pipeline.py:738 / :799: every item of the batch blocked, generate() returns None.
  { file: PIPELINE, message: /^All prompts failed safety checks$/, final: true, what: 'prompt' },
  { file: PIPELINE, message: /^All generated videos failed safety checks$/, final: true, what: 'video' },
  // world_generation_pipeline.py:1245 / :1267: the multiview pipeline's single-item checks.
  { file: PIPELINE, message: /^Input text prompt is not safe$/, final: true, what: 'prompt' },
  { file: PIPELINE, message: /^Generated video is not safe$/, final: true, what: 'video' },
  // transfer.py:377 demo() (and transfer_pipeline.py:368, the same text), then the None result is unpacked:
  // TypeError: cannot unpack non-iterable NoneType object.
  { file: TRANSFER, message: /^Guardrail blocked generation for entire batch\.$/, final: true },
  { file: 'cosmos_transfer1/diffusion/inference/transfer_pipeline.py', message: /^Guardrail blocked generation for entire batch\.$/, final: true },
  // transfer_multiview.py:421 demo().
  { file: 'cosmos_transfer1/diffusion/inference/transfer_multiview.py', message: /^Guardrail blocked generation\.$/, final: true },
];

// ---------------------------------------------------------------------------------------------------------------
// bad_input: Cosmos's own validation of the spec and arguments (exception headlines).

const badInput: { type: RegExp; message: RegExp }[] = [
  // inference_utils.py:1209 load_controlnet_specs and :1234 validate_controlnet_specs (also transfer_multiview.py:271).
  { type: /^ValueError$/, message: /^Invalid hint_key: .+\. Must be one of / },
  // inference_utils.py:1237.
  { type: /^ValueError$/, message: /^Must have 'input_video' specified if sigma_max < 80$/ },
  // inference_utils.py:1240.
  { type: /^ValueError$/, message: /^\w+ controlnet must have 'input_control' video specified if no 'input_video' specified\.$/ },
  // inference_utils.py:1251 (--use_distilled without a ckpt_path for a control other than edge).
  { type: /^ValueError$/, message: /^No default distilled checkpoint for \w+\. Users must specify ckpt_path in config\.$/ },
  // inference_utils.py:1271 (chained into :1273) and :1273.
  { type: /^ValueError$/, message: /^Control weight for \w+ must be (non-negative|a valid non-negative float or a path to a \.pt file)\.$/ },
  // inference_utils.py:1080 load_spatial_temporal_weights: a control_weight .pt file of the wrong shape.
  { type: /^ValueError$/, message: /^Weight map must be 2D or 3D, got shape / },
  // preprocessors.py:123: a regional prompt's region_definitions_path that is not a video.
  { type: /^ValueError$/, message: /^Invalid video file: / },
  // inference_utils.py:983 (num_input_frames) and transfer.py:237 (--use_distilled with --save_input_noise).
  { type: /^AssertionError$/, message: /^(num_input_frames must be greater than 0|Saving input noise is not supported for distilled models)$/ },
  // world_generation_pipeline.py:1287: the distilled pipeline takes exactly one control.
  { type: /^AssertionError$/, message: /^Distilled model only supports single control input$/ },
];

/** transfer.py:236 `assert not cfg.is_av_sample` has no message: recognised by the traceback's last source line. */
const badInputAssertCode = /^assert not cfg\.is_av_sample$/;

/**
 * argparse's own error line (transfer.py parse_arguments(), e.g. `--num_input_frames` choices=[1] at transfer.py:79,
 * `--blur_strength`/`--canny_threshold` choices, `--controlnet_specs` required): `<prog>: error: <message>`, exit 2.
 */
const usageError = /^(transfer|transfer_multiview|upsampler_pipeline)\.py: error: (.+)$/;

/**
 * vLLM (the prompt upsampler asks for gpu_memory_utilization=0.98, auxiliary/upsampler/model/upsampler.py:54):
 * vllm/v1/worker/gpu_worker.py init_device() raises ValueError("Free memory on device (F/T GiB) on startup is less
 * than desired GPU memory utilization (U, R GiB). Decrease GPU memory utilization or reduce GPU memory used by other
 * processes.") (vllm-project/vllm@35d5cda1). Newer releases name the device ("on device cuda:0 (...)").
 */
const vllmFreeMemory = /^Free memory on device .*is less than desired GPU memory utilization/;

export const transfer1Failures: FailureSignatures = { guardrail, badInput, badInputAssertCode, usageError };

/** The prompt upsampler adds vLLM's start-up check of free GPU memory. */
export const upsamplerFailures: FailureSignatures = {
  ...transfer1Failures,
  outOfMemory: [{
    type: /^ValueError$/, message: vllmFreeMemory,
    explain: 'GPU memory was not free enough for the prompt upsampler (vLLM reserves a fixed share of the whole GPU; another process holds memory on it)',
  }],
};
