import type { ArgSpec } from './argparse.js';

const PRESETS = ['very_low', 'low', 'medium', 'high', 'very_high'];

const DEFAULT_PROMPT =
  'The video captures a stunning, photorealistic scene with remarkable attention to detail, giving it a lifelike appearance that is almost indistinguishable from reality. It appears to be from a high-budget 4K movie, showcasing ultra-high-definition quality with impeccable resolution.';

const DEFAULT_NEGATIVE_PROMPT =
  'The video captures a game playing, with bad crappy graphics and cartoonish frames. It represents a recording of old outdated games. The lighting looks very fake. The textures are very raw and basic. The geometries are very primitive. The images are very pixelated and of poor CG quality. There are many subtitles in the footage. Overall, the video is unrealistic at all.';

/** The argparse definition of cosmos_transfer1/diffusion/inference/transfer.py. */
export const TRANSFER_ARGS: ArgSpec[] = [
  { name: 'prompt', type: 'str', default: DEFAULT_PROMPT, help: 'prompt which the sampled video condition on' },
  { name: 'negative_prompt', type: 'str', default: DEFAULT_NEGATIVE_PROMPT, help: 'negative prompt which the sampled video condition on' },
  { name: 'input_video_path', type: 'str', default: '', help: 'Optional input RGB video path' },
  { name: 'num_input_frames', type: 'int', default: 1, choices: [1], help: 'Number of conditional frames for long video generation' },
  { name: 'sigma_max', type: 'float', default: 70.0, help: 'sigma_max for partial denoising' },
  { name: 'blur_strength', type: 'str', default: 'medium', choices: PRESETS, help: 'blur strength.' },
  { name: 'canny_threshold', type: 'str', default: 'medium', choices: PRESETS, help: 'blur strength of canny threshold applied to input. Lower means less blur or more detected edges, which means higher fidelity to input.' },
  { name: 'controlnet_specs', type: 'str', default: null, required: true, help: 'Path to JSON file specifying multicontrolnet configurations' },
  { name: 'is_av_sample', type: 'flag', default: false, help: 'Whether the model is an driving post-training model' },
  { name: 'checkpoint_dir', type: 'str', default: 'checkpoints', help: 'Base directory containing model checkpoints' },
  { name: 'tokenizer_dir', type: 'str', default: 'Cosmos-Tokenize1-CV8x8x8-720p', help: 'Tokenizer weights directory relative to checkpoint_dir' },
  { name: 'video_save_name', type: 'str', default: 'output', help: 'Output filename for generating a single video' },
  { name: 'video_save_folder', type: 'str', default: 'outputs/', help: 'Output folder for generating a batch of videos' },
  { name: 'batch_input_path', type: 'str', default: null, help: 'Path to a JSONL file of input prompts for generating a batch of videos' },
  { name: 'batch_size', type: 'int', default: 1, help: 'Batch size' },
  { name: 'num_steps', type: 'int', default: 35, help: 'Number of diffusion sampling steps' },
  { name: 'guidance', type: 'float', default: 5, help: 'Classifier-free guidance scale value' },
  { name: 'fps', type: 'int', default: 24, help: 'FPS of the output video' },
  { name: 'seed', type: 'int', default: 1, help: 'Random seed' },
  { name: 'num_gpus', type: 'int', default: 1, help: 'Number of GPUs used to run inference in parallel.' },
  { name: 'offload_diffusion_transformer', type: 'flag', default: false, help: 'Offload DiT after inference' },
  { name: 'offload_text_encoder_model', type: 'flag', default: false, help: 'Offload text encoder model after inference' },
  { name: 'offload_guardrail_models', type: 'flag', default: false, help: 'Offload guardrail models after inference' },
  { name: 'upsample_prompt', type: 'flag', default: false, help: 'Upsample prompt using Pixtral upsampler model' },
  { name: 'offload_prompt_upsampler', type: 'flag', default: false, help: 'Offload prompt upsampler model after inference' },
  { name: 'use_distilled', type: 'flag', default: false, help: 'Use distilled ControlNet model variant' },
  { name: 'save_input_noise', type: 'flag', default: false, help: 'Save input noise for ODE pairs generation used for Knowledge Distillation' },
  { name: 'benchmark', type: 'flag', default: false, help: 'Run the generation in benchmark mode. It means that generation will be rerun a few times and the average generation time will be shown.' },
];

export const FLOAT_ARGS: ReadonlySet<string> = new Set(['sigma_max']);

export const UPSAMPLER_ARGS: ArgSpec[] = [
  { name: 'prompt', type: 'str', default: null, help: 'Prompt to upsample' },
  { name: 'input_video', type: 'str', default: null, required: true, help: 'Path to input video file' },
  { name: 'checkpoint_dir', type: 'str', default: 'checkpoints', help: 'Base directory containing model checkpoints' },
  { name: 'offload_prompt_upsampler', type: 'flag', default: false, help: 'Offload prompt upsampler model after inference' },
];
