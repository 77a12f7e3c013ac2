/**
 * What the Cosmos-Transfer1 models need on a host, from nvidia-cosmos/cosmos-transfer1 @5005e82 and the contract
 * (../shared/reference/cosmos-gpu-contract.md §7.2, §7.3, §9): GPU memory, host memory and the checkpoint files
 * under `--checkpoint_dir` that `cosmos doctor` looks for.
 */

/**
 * Runs on one free 80 GB H100 and runs out of memory on an A100 80GB with about 60 GB free even with every offload
 * flag (issue #189); weights are not sharded over GPUs, so this holds per GPU whatever the GPU count. 70 GiB: most
 * of an 80 GB card (81 559 MiB), clearly above the 60 GB that fails.
 */
export const transfer1GpuMemoryMiB = 70 * 1024;

/** T5-11B takes about 40 GB of host memory per process while loading (contract §7.3, cosmos-predict1 #18). */
export const transfer1HostMemoryPerGpuMiB = 45 * 1024;

const base = 'nvidia/Cosmos-Transfer1-7B';
const tokenizer = 'nvidia/Cosmos-Tokenize1-CV8x8x8-720p';

/**
 * Loaded by every transfer.py job: the tokenizer (diffusion/module/pretrained_vae.py:198, 209, 343), T5
 * (`<checkpoint_dir>/google-t5/t5-11b`), the video safety filter (guardrail/video_content_safety_filter/
 * video_content_safety_filter.py:47-60) and Llama-Guard-3-8B (guardrail/aegis).
 */
export const transfer1CommonCheckpoints = [
  `${tokenizer}/encoder.jit`, `${tokenizer}/decoder.jit`, `${tokenizer}/mean_std.pt`,
  'google-t5/t5-11b/pytorch_model.bin',
  'nvidia/Cosmos-Guardrail1/video_content_safety_filter/safety_filter.pt',
  'meta-llama/Llama-Guard-3-8B/model-00001-of-00004.safetensors',
];

/** The 7B base model and the four ControlNets a transfer run uses (cosmos_transfer1/checkpoints.py). */
export const transferCheckpoints = [
  `${base}/base_model.pt`, `${base}/vis_control.pt`, `${base}/edge_control.pt`, `${base}/depth_control.pt`, `${base}/seg_control.pt`,
  ...transfer1CommonCheckpoints,
];

export const upscaleCheckpoints = [`${base}/base_model.pt`, `${base}/4kupscaler_control.pt`, ...transfer1CommonCheckpoints];

/** The Pixtral-12B upsampler loads the root of its folder with vLLM (auxiliary/upsampler/model/upsampler.py). */
export const enhanceCheckpoints = ['nvidia/Cosmos-UpsamplePrompt1-12B-Transfer/consolidated.safetensors'];

/**
 * MD5s the real download script checks (scripts/download_checkpoints.py `MD5_CHECKSUM_LOOKUP` @5005e82), for the
 * files above that it lists; `cosmos doctor --deep` compares them. mean_std.pt has none there.
 */
export const transfer1Md5: Record<string, string> = {
  [`${base}/base_model.pt`]: '356497b415f3b0697f8bb034d22b6807',
  [`${base}/vis_control.pt`]: '69fdffc5006bc5d6acb29449bb3ffdca',
  [`${base}/edge_control.pt`]: 'a0642e300e9e184077d875e1b5920a61',
  [`${base}/depth_control.pt`]: '80999ed60d89a8dfee785c544e0ccd54',
  [`${base}/seg_control.pt`]: '3e4077a80c836bf102c7b2ac2cd5da8c',
  [`${base}/4kupscaler_control.pt`]: 'b28378d13f323b49445dc469dfbbc317',
  [`${tokenizer}/encoder.jit`]: 'f5834d03645c379bc0f8ad14b9bc0299',
  [`${tokenizer}/decoder.jit`]: 'ff21a63ed817ffdbe4b6841111ec79a8',
  'google-t5/t5-11b/pytorch_model.bin': 'f890878d8a162e0045a25196e27089a3',
  'nvidia/Cosmos-Guardrail1/video_content_safety_filter/safety_filter.pt': 'b46dc2ad821fc3b0d946549d7ade19cf',
  'meta-llama/Llama-Guard-3-8B/model-00001-of-00004.safetensors': '5748060ae47b335dc19263060c921a54',
  'nvidia/Cosmos-UpsamplePrompt1-12B-Transfer/consolidated.safetensors': 'd06e6366e003126dcb351ce9b8bf3701',
};
