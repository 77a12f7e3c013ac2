import { readFileSync } from 'node:fs';
import { hostPathForRead } from './container-fs.js';
import type { Namespace } from './argparse.js';
import type { Logger } from './loguru.js';
import { dumpsPython, reprPython } from './python-json.js';
import { caretsUnder, frame, PythonException, type PyFrame } from './python-traceback.js';
import { FLOAT_ARGS, TRANSFER_ARGS } from './transfer-args.js';

const VALID_HINT_KEYS = ['vis', 'seg', 'edge', 'depth', 'keypoint', 'upscale', 'hdmap', 'lidar'];

const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const MAIN_FRAME = frame(TRANSFER, 432, '<module>', 'args, control_inputs = parse_arguments()');
const PARSE_FRAME = frame(TRANSFER, 177, 'parse_arguments', 'control_inputs, json_args = load_controlnet_specs(cmd_args)');
const LOAD_WHERE = 'cosmos_transfer1/diffusion/inference/inference_utils.py';
const JSON_LIB = '/usr/lib/python3.12/json';

export type ControlBlock = Record<string, unknown>;
export type TransferArgs = Record<string, unknown>;

export interface TransferInputs {
  args: TransferArgs;
  controls: Record<string, ControlBlock>;
}

/**
 * parse_arguments() after argparse: split the spec into control blocks and args, then let each JSON arg win over
 * argparse unless its exact `--key` token is in argv (so `--seed=5` loses to the spec's seed).
 */
export function loadTransferInputs(namespace: Namespace, argv: string[], log: Logger): TransferInputs {
  const { controls, jsonArgs } = loadControlnetSpecs(String(namespace.controlnet_specs));
  log('INFO', `${TRANSFER}:179:parse_arguments`, `control_inputs: ${dumpsPython(controls)}`);
  log('INFO', `${TRANSFER}:180:parse_arguments`, `args in json: ${dumpsPython(jsonArgs)}`);
  const args: TransferArgs = { ...namespace };
  // Python floats print as `70.0`: sigma_max's default, and any type=float argument argparse converted from argv
  // (guidance's default 5 is an int: argparse converts only string defaults).
  const floatKeys = new Set(FLOAT_ARGS);
  for (const spec of TRANSFER_ARGS) {
    if (spec.type === 'float' && argv.some((token) => token === `--${spec.name}` || token.startsWith(`--${spec.name}=`))) floatKeys.add(spec.name);
  }
  for (const [key, value] of Object.entries(jsonArgs)) {
    if (argv.includes(`--${key}`)) continue;
    args[key] = value;
    floatKeys.delete(key);
  }
  log('INFO', `${TRANSFER}:187:parse_arguments`, `final args: ${dumpsPython(args, floatKeys)}`);
  return { args, controls };
}

function loadControlnetSpecs(path: string): { controls: Record<string, ControlBlock>; jsonArgs: TransferArgs } {
  const frames = [MAIN_FRAME, PARSE_FRAME];
  const openFrame = frame(LOAD_WHERE, 1198, 'load_controlnet_specs', 'with open(cfg.controlnet_specs, "r") as f:');
  const hostPath = hostPathForRead(path);
  if (hostPath === undefined) {
    throw new PythonException('FileNotFoundError', `[Errno 2] No such file or directory: ${reprPython(path)}`, [...frames, openFrame]);
  }
  const spec = parseJson(readFileSync(hostPath, 'utf8'), [
    ...frames,
    frame(LOAD_WHERE, 1199, 'load_controlnet_specs', 'controlnet_specs_in = json.load(f)', caretsUnder('controlnet_specs_in = json.load(f)', 'json.load(f)')),
    frame(`${JSON_LIB}/__init__.py`, 293, 'load', 'return loads(fp.read(),', caretsUnder('return loads(fp.read(),', 'loads(fp.read(),')),
  ]);
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new PythonException('AttributeError', `'${Array.isArray(spec) ? 'list' : typeof spec}' object has no attribute 'items'`, [
      ...frames,
      frame(LOAD_WHERE, 1204, 'load_controlnet_specs', 'for hint_key, config in controlnet_specs_in.items():', caretsUnder('for hint_key, config in controlnet_specs_in.items():', 'controlnet_specs_in.items')),
    ]);
  }
  const controls: Record<string, ControlBlock> = {};
  const jsonArgs: TransferArgs = {};
  for (const [key, value] of Object.entries(spec as Record<string, unknown>)) {
    if (VALID_HINT_KEYS.includes(key)) {
      controls[key] = value as ControlBlock;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      throw new PythonException('ValueError', `Invalid hint_key: ${key}. Must be one of {${VALID_HINT_KEYS.map((k) => `'${k}'`).join(', ')}}`, [
        ...frames,
        frame(LOAD_WHERE, 1209, 'load_controlnet_specs', 'raise ValueError(f"Invalid hint_key: {hint_key}. Must be one of {valid_hint_keys}")'),
      ]);
    } else {
      jsonArgs[key] = value;
    }
  }
  return { controls, jsonArgs };
}

export function parseJson(text: string, frames: PyFrame[]): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = Number(/position (\d+)/.exec((error as Error).message)?.[1] ?? 0);
    const before = text.slice(0, position).split('\n');
    const line = before.length;
    const column = (before.at(-1)?.length ?? 0) + 1;
    throw new PythonException(
      'json.decoder.JSONDecodeError',
      `Expecting value: line ${line} column ${column} (char ${position})`,
      [
        ...frames,
        frame(`${JSON_LIB}/__init__.py`, 346, 'loads', 'return _default_decoder.decode(s)', caretsUnder('return _default_decoder.decode(s)', '_default_decoder.decode(s)')),
        frame(`${JSON_LIB}/decoder.py`, 337, 'decode', 'obj, end = self.raw_decode(s, idx=_w(s, 0).end())', caretsUnder('obj, end = self.raw_decode(s, idx=_w(s, 0).end())', 'self.raw_decode(s, idx=_w(s, 0).end())')),
        frame(`${JSON_LIB}/decoder.py`, 355, 'raw_decode', 'raise JSONDecodeError("Expecting value", s, err.value) from None'),
      ],
    );
  }
}
