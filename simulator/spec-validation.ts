import type { Logger } from './loguru.js';
import { reprPython } from './python-json.js';
import { frame, PythonException } from './python-traceback.js';
import type { ControlBlock, TransferArgs } from './spec-loading.js';
import { joinPython } from './transfer-item.js';

/*
 * validate_controlnet_specs(), cosmos_transfer1/diffusion/inference/inference_utils.py:1216-1277 at
 * cosmos-transfer1@5005e82, called from transfer.py:217 demo().
 */
const UTILS = 'cosmos_transfer1/diffusion/inference/inference_utils.py';
const DEMO_FRAMES = [
  frame('cosmos_transfer1/diffusion/inference/transfer.py', 433, '<module>', 'demo(args, control_inputs)'),
  frame('cosmos_transfer1/diffusion/inference/transfer.py', 217, 'demo', 'control_inputs = validate_controlnet_specs(cfg, control_inputs)'),
];

/** inference_utils.py:76-89 default_model_names / default_distilled_model_names (cosmos_transfer1/checkpoints.py). */
const DEFAULT_CHECKPOINTS: Record<string, string> = {
  vis: 'nvidia/Cosmos-Transfer1-7B/vis_control.pt',
  seg: 'nvidia/Cosmos-Transfer1-7B/seg_control.pt',
  edge: 'nvidia/Cosmos-Transfer1-7B/edge_control.pt',
  depth: 'nvidia/Cosmos-Transfer1-7B/depth_control.pt',
  keypoint: 'nvidia/Cosmos-Transfer1-7B/keypoint_control.pt',
  upscale: 'nvidia/Cosmos-Transfer1-7B/4kupscaler_control.pt',
  hdmap: 'nvidia/Cosmos-Transfer1-7B-Sample-AV/hdmap_control.pt',
  lidar: 'nvidia/Cosmos-Transfer1-7B-Sample-AV/lidar_control.pt',
};
const DEFAULT_DISTILLED_CHECKPOINTS: Record<string, string> = { edge: 'nvidia/Cosmos-Transfer1-7B/edge_control_distilled.pt' };

function valueError(message: string, line: number, code: string): PythonException {
  return new PythonException('ValueError', message, [...DEMO_FRAMES, frame(UTILS, line, 'validate_controlnet_specs', code)]);
}

/** Python's type name of a JSON value. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return Array.isArray(value) ? 'list' : 'dict';
}

/** Python truthiness of a JSON value. */
export function pythonTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** `key in config` for a str, list or dict config; other types raise TypeError. */
function pythonIn(key: string, config: unknown, line: number, code: string): boolean {
  if (typeof config === 'string') return config.includes(key);
  if (Array.isArray(config)) return config.includes(key);
  if (config !== null && typeof config === 'object') return key in config;
  throw new PythonException('TypeError', `argument of type '${pythonTypeName(config)}' is not iterable`, [
    ...DEMO_FRAMES,
    frame(UTILS, line, 'validate_controlnet_specs', code),
  ]);
}

/**
 * Python's float() of a str: whitespace around, a sign, digits with single underscores between them, a fraction,
 * an exponent, or inf/infinity/nan in any case; undefined when it raises ValueError.
 */
export function pythonFloat(text: string): number | undefined {
  const trimmed = text.trim();
  const digits = '\\d(?:_?\\d)*';
  const decimal = new RegExp(`^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`);
  if (decimal.test(trimmed)) return Number(trimmed.replaceAll('_', ''));
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(trimmed);
  if (!special) return undefined;
  if (special[2]?.toLowerCase() === 'nan') return Number.NaN;
  return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}

/** validate_controlnet_specs(): the checks and messages of the real function, in its order, per control. */
export function validateControlnetSpecs(args: TransferArgs, controls: Record<string, ControlBlock>, log: Logger): void {
  const sigmaMax = args.sigma_max;
  const hasInputVideo = pythonTruthy(args.input_video_path);
  // An empty spec runs no check at all: the run fails later, after the model has loaded (transfer.ts).
  for (const [hintKey, config] of Object.entries(controls)) {
    if (!hasInputVideo) {
      // :1236 `if not input_video_path and sigma_max < 80` (a str or None sigma_max raises TypeError here).
      if (typeof sigmaMax !== 'number' && typeof sigmaMax !== 'boolean') {
        throw new PythonException('TypeError', `'<' not supported between instances of '${pythonTypeName(sigmaMax)}' and 'int'`, [
          ...DEMO_FRAMES,
          frame(UTILS, 1236, 'validate_controlnet_specs', 'if not input_video_path and sigma_max < 80:'),
        ]);
      }
      if (Number(sigmaMax) < 80) {
        throw valueError("Must have 'input_video' specified if sigma_max < 80", 1237, 'raise ValueError("Must have \'input_video\' specified if sigma_max < 80")');
      }
      if (!pythonIn('input_control', config, 1239, 'if not input_video_path and "input_control" not in config:')) {
        throw valueError(`${hintKey} controlnet must have 'input_control' video specified if no 'input_video' specified.`, 1240, 'raise ValueError(');
      }
    }
    if (!pythonIn('ckpt_path', config, 1244, 'if "ckpt_path" not in config:')) {
      log('INFO', `${UTILS}:1245:validate_controlnet_specs`, `No checkpoint path specified for ${hintKey}. Using default.`);
      let ckptPath = joinPython(String(args.checkpoint_dir), DEFAULT_CHECKPOINTS[hintKey] ?? '');
      if (args.use_distilled === true) {
        const distilled = DEFAULT_DISTILLED_CHECKPOINTS[hintKey];
        if (distilled === undefined) {
          throw valueError(`No default distilled checkpoint for ${hintKey}. Users must specify ckpt_path in config.`, 1251, 'raise ValueError(');
        }
        ckptPath = joinPython(String(args.checkpoint_dir), distilled);
      }
      assignKey(config, 'ckpt_path', ckptPath, 1255, 'config["ckpt_path"] = ckpt_path');
      log('INFO', `${UTILS}:1256:validate_controlnet_specs`, `Using default checkpoint path: ${ckptPath}`);
    }
    if (!pythonIn('control_weight', config, 1260, 'if "control_weight" not in config:')) {
      log('WARNING', `${UTILS}:1261:validate_controlnet_specs`, `No control weight specified for ${hintKey}. Setting to 0.5.`);
      assignKey(config, 'control_weight', '0.5', 1262, 'config["control_weight"] = "0.5"');
    } else {
      checkWeight(hintKey, (config as Record<string, unknown>).control_weight);
    }
  }
}

function assignKey(config: unknown, key: string, value: string, line: number, code: string): void {
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
    (config as Record<string, unknown>)[key] = value;
    return;
  }
  const message = typeof config === 'string' ? "'str' object does not support item assignment" : 'list indices must be integers or slices, not str';
  throw new PythonException('TypeError', message, [...DEMO_FRAMES, frame(UTILS, line, 'validate_controlnet_specs', code)]);
}

/**
 * :1264-1275 `float(weight)` must work and be >= 0 unless the weight is a str ending in `.pt`; the ValueError of
 * either is re-raised as the general one. A weight of no number type (None, a list) raises float()'s TypeError,
 * which the `except ValueError` does not catch. Zero, and all-zero weights, are accepted: nothing checks them.
 */
function checkWeight(hintKey: string, weight: unknown): void {
  if (typeof weight === 'string' && weight.endsWith('.pt')) return;
  const floatFrame = frame(UTILS, 1269, 'validate_controlnet_specs', 'scalar_value = float(weight)');
  if (weight === null || weight === undefined || typeof weight === 'object') {
    throw new PythonException('TypeError', `float() argument must be a string or a real number, not '${pythonTypeName(weight)}'`, [...DEMO_FRAMES, floatFrame]);
  }
  const scalar = typeof weight === 'string' ? pythonFloat(weight) : Number(weight);
  const final = `Control weight for ${hintKey} must be a valid non-negative float or a path to a .pt file.`;
  const reraise = frame(UTILS, 1273, 'validate_controlnet_specs', 'raise ValueError(');
  if (scalar === undefined) {
    const context = new PythonException('ValueError', `could not convert string to float: ${reprPython(String(weight))}`, [...DEMO_FRAMES, floatFrame]);
    throw new PythonException('ValueError', final, [...DEMO_FRAMES, reraise], context);
  }
  if (scalar < 0) {
    const context = valueError(`Control weight for ${hintKey} must be non-negative.`, 1271, 'raise ValueError(f"Control weight for {hint_key} must be non-negative.")');
    throw new PythonException('ValueError', final, [...DEMO_FRAMES, reraise], context);
  }
}
