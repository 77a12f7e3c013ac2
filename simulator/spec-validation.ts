import { join } from 'node:path';
import type { Logger } from './loguru.js';
import { frame, PythonException } from './python-traceback.js';
import type { ControlBlock, TransferArgs } from './spec-loading.js';

const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const UTILS = 'cosmos_transfer1/diffusion/inference/inference_utils.py';
const DEMO_FRAMES = [
  frame(TRANSFER, 413, '<module>', 'demo(args, control_inputs)'),
  frame(TRANSFER, 246, 'demo', 'control_inputs = validate_controlnet_specs(cfg, control_inputs)'),
];

const DEFAULT_CHECKPOINTS: Record<string, string> = {
  vis: 'nvidia/Cosmos-Transfer1-7B/vis_control.pt',
  edge: 'nvidia/Cosmos-Transfer1-7B/edge_control.pt',
  depth: 'nvidia/Cosmos-Transfer1-7B/depth_control.pt',
  seg: 'nvidia/Cosmos-Transfer1-7B/seg_control.pt',
  keypoint: 'nvidia/Cosmos-Transfer1-7B/keypoint_control.pt',
  upscale: 'nvidia/Cosmos-Transfer1-7B/4kupscaler_control.pt',
  hdmap: 'nvidia/Cosmos-Transfer1-7B-Sample-AV/hdmap_control.pt',
  lidar: 'nvidia/Cosmos-Transfer1-7B-Sample-AV/lidar_control.pt',
};

function valueError(message: string, line: number, code: string): PythonException {
  return new PythonException('ValueError', message, [...DEMO_FRAMES, frame(UTILS, line, 'validate_controlnet_specs', code)]);
}

/** validate_controlnet_specs(): the checks and messages of the real script, in its order. */
export function validateControlnetSpecs(args: TransferArgs, controls: Record<string, ControlBlock>, log: Logger): void {
  const sigmaMax = args.sigma_max;
  if (typeof sigmaMax !== 'number') {
    throw new PythonException('TypeError', `'<' not supported between instances of '${typeof sigmaMax === 'string' ? 'str' : 'NoneType'}' and 'int'`, [
      ...DEMO_FRAMES,
      frame(UTILS, 372, 'validate_controlnet_specs', 'if not input_video_path and sigma_max < 80:'),
    ]);
  }
  const inputVideo = args.input_video_path;
  for (const [hintKey, config] of Object.entries(controls)) {
    if (config === null || typeof config !== 'object') {
      throw new PythonException('TypeError', `argument of type '${typeof config === 'string' ? 'str' : 'NoneType'}' is not iterable`, [
        ...DEMO_FRAMES,
        frame(UTILS, 375, 'validate_controlnet_specs', 'if not input_video_path and "input_control" not in config:'),
      ]);
    }
    if (!inputVideo && sigmaMax < 80) {
      throw valueError("Must have 'input_video' specified if sigma_max < 80", 373, 'raise ValueError("Must have \'input_video\' specified if sigma_max < 80")');
    }
    if (!inputVideo && !('input_control' in config)) {
      throw valueError(
        `${hintKey} controlnet must have 'input_control' video specified if no 'input_video' specified.`,
        376,
        'raise ValueError(',
      );
    }
    if (!('ckpt_path' in config)) {
      log('INFO', `${UTILS}:381:validate_controlnet_specs`, `No checkpoint path specified for ${hintKey}. Using default checkpoint path.`);
      if (args.use_distilled === true && hintKey !== 'edge') {
        // inference_utils.py:1251 (cosmos-transfer1@5005e82): only edge has a default distilled checkpoint.
        throw valueError(`No default distilled checkpoint for ${hintKey}. Users must specify ckpt_path in config.`, 384, 'raise ValueError(');
      }
      config.ckpt_path = join(String(args.checkpoint_dir), DEFAULT_CHECKPOINTS[hintKey] ?? '');
    }
    if (!('control_weight' in config)) {
      log('WARNING', `${UTILS}:392:validate_controlnet_specs`, `No control weight specified for ${hintKey}. Setting to 0.5.`);
      config.control_weight = '0.5';
    } else {
      checkWeight(hintKey, config.control_weight);
    }
  }
  if (Object.keys(controls).length === 0) {
    throw valueError('No control specified in controlnet_specs: add at least one of vis, edge, depth, seg, keypoint, upscale, hdmap, lidar.', 402, 'raise ValueError(');
  }
}

/** float(weight) must work and be >= 0 unless it names a .pt file; the first error is re-raised as the second. */
function checkWeight(hintKey: string, weight: unknown): void {
  if (typeof weight === 'string' && weight.endsWith('.pt')) return;
  const scalar = typeof weight === 'number' ? weight : typeof weight === 'string' && weight.trim() !== '' ? Number(weight) : Number.NaN;
  const final = `Control weight for ${hintKey} must be a valid non-negative float or a path to a .pt file.`;
  if (Number.isNaN(scalar)) {
    const context = new PythonException('ValueError', `could not convert string to float: '${String(weight)}'`, [
      ...DEMO_FRAMES,
      frame(UTILS, 398, 'validate_controlnet_specs', 'scalar_value = float(weight)'),
    ]);
    throw new PythonException('ValueError', final, [...DEMO_FRAMES, frame(UTILS, 403, 'validate_controlnet_specs', 'raise ValueError(')], context);
  }
  if (scalar < 0) {
    const context = valueError(`Control weight for ${hintKey} must be non-negative.`, 400, 'raise ValueError(f"Control weight for {hint_key} must be non-negative.")');
    throw new PythonException('ValueError', final, [...DEMO_FRAMES, frame(UTILS, 403, 'validate_controlnet_specs', 'raise ValueError(')], context);
  }
}
