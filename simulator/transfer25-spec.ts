import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { ArgparseExit } from './argparse.js';
import { hostPathForRead } from './container-fs.js';
import { reprPython } from './python-json.js';
import { frame, PythonException, type PyFrame } from './python-traceback.js';
import { containerCwd } from './transfer25-paths.js';
import { dumpJson, formatValidationError, validateFields, type FieldSpec, type PydanticError, type Validated } from './transfer25-pydantic.js';
import { absolutePath, chdirTarget, PyFloat, typeName } from './transfer25-python.js';

/**
 * cosmos_transfer2/config.py (cosmos-transfer2.5@2ff49d0): `InferenceArguments` and its control blocks, and
 * `CommonInferenceArguments._from_file` / `from_files`, which load and validate every spec before the model loads.
 */
export const CONTROL_KEYS = ['edge', 'vis', 'depth', 'seg'] as const;
export type ControlKey = (typeof CONTROL_KEYS)[number];

export const DEFAULT_NEGATIVE_PROMPT =
  'The video captures a game playing, with bad crappy graphics and cartoonish frames. It represents a recording of old outdated games. The lighting looks very fake. The textures are very raw and basic. The geometries are very primitive. The images are very pixelated and of poor CG quality. There are many subtitles in the footage. Overall, the video is unrealistic at all.';

const THRESHOLDS = ['very_low', 'low', 'medium', 'high', 'very_high'];
const CONTROL_BASE: FieldSpec[] = [
  { name: 'control_path', kind: 'file', nullable: true },
  { name: 'control_weight', kind: 'float', ge: 0, le: 1, default: new PyFloat(1) },
  { name: 'mask_path', kind: 'file', nullable: true },
  { name: 'mask_prompt', kind: 'str', nullable: true },
];
const controlModel = (title: string, extra: FieldSpec[]): FieldSpec['model'] => ({ title, fields: [...CONTROL_BASE, ...extra] });
const preset = (name: string): FieldSpec => ({ name, kind: 'literal', choices: THRESHOLDS, default: 'medium' });

/** Declaration order = validation order = model_dump_json key order (pydantic keeps a parent field's slot). */
export const SAMPLE_FIELDS: FieldSpec[] = [
  { name: 'name', kind: 'str', required: true },
  { name: 'prompt_path', kind: 'file', nullable: true },
  { name: 'prompt', kind: 'str', required: true },
  { name: 'negative_prompt', kind: 'str', default: DEFAULT_NEGATIVE_PROMPT },
  { name: 'seed', kind: 'int', default: 2025 },
  { name: 'guidance', kind: 'int', ge: 0, le: 7, default: 3 },
  { name: 'video_path', kind: 'file', required: true },
  { name: 'max_frames', kind: 'int', gt: 0, nullable: true },
  { name: 'context_frame_index', kind: 'int', gt: 0, nullable: true },
  { name: 'image_context_path', kind: 'file', nullable: true },
  { name: 'num_conditional_frames', kind: 'literal', choices: [0, 1, 2], default: 1 },
  { name: 'resolution', kind: 'str', default: '720' },
  { name: 'sigma_max', kind: 'str', nullable: true },
  { name: 'num_video_frames_per_chunk', kind: 'int', gt: 0, default: 93 },
  { name: 'num_steps', kind: 'int', gt: 0, default: 35 },
  { name: 'show_control_condition', kind: 'bool', default: false },
  { name: 'show_input', kind: 'bool', default: false },
  { name: 'keep_input_resolution', kind: 'bool', default: true },
  { name: 'edge', kind: 'model', nullable: true, model: controlModel('EdgeConfig', [preset('preset_edge_threshold')]) },
  { name: 'depth', kind: 'model', nullable: true, model: controlModel('DepthConfig', []) },
  { name: 'vis', kind: 'model', nullable: true, model: controlModel('BlurConfig', [preset('preset_blur_strength')]) },
  { name: 'seg', kind: 'model', nullable: true, model: controlModel('SegConfig', [{ name: 'control_prompt', kind: 'str', nullable: true }]) },
  { name: 'guided_generation_mask', kind: 'file_or_dir', nullable: true },
  { name: 'guided_generation_step_threshold', kind: 'int', default: 25 },
  { name: 'guided_generation_foreground_labels', kind: 'int_list', nullable: true },
];

export const OVERRIDE_FIELDS = SAMPLE_FIELDS.filter((f) => !['name', 'edge', 'depth', 'vis', 'seg'].includes(f.name));

export interface Sample {
  values: Validated;
  name: string;
  prompt: string;
  negativePrompt: string;
  hintKeys: ControlKey[];
  json: string;
}

const CONFIG = 'cosmos_transfer2/config.py';
const BASE_FRAMES: PyFrame[] = [
  frame('examples/inference.py', 94, '<module>', 'main(args)'),
  frame('examples/inference.py', 67, 'main', 'inference_samples, batch_hint_keys = InferenceArguments.from_files(args.input_files, overrides=args.overrides)'),
  frame(CONFIG, 402, 'from_files', 'objs.extend(cls._from_file(path, override_data))'),
];

function readText(path: string, frames: PyFrame[]): string {
  const host = hostPathForRead(absolutePath(path, containerCwd()));
  if (host === undefined) throw new PythonException('FileNotFoundError', `[Errno 2] No such file or directory: ${reprPython(path)}`, frames);
  return readFileSync(host, 'utf8');
}

function loadsJson(text: string, frames: PyFrame[]): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = Number(/position (\d+)/.exec((error as Error).message)?.[1] ?? 0);
    const before = text.slice(0, position).split('\n');
    const message = `Expecting value: line ${before.length} column ${(before.at(-1)?.length ?? 0) + 1} (char ${position})`;
    throw new PythonException('json.decoder.JSONDecodeError', message, frames);
  }
}

/** Fails like the real loader: stderr message (rank 0 only where the source checks is_rank0()) and exit 1. */
function exitOne(message: string, everyRank = false): never {
  throw new ArgparseExit(1, everyRank || (process.env.RANK ?? '0') === '0' ? `${message}\n` : '');
}

function fromFile(path: string, overrides: Record<string, unknown>): Sample[] {
  const suffix = /(?<=[^/])(\.[^./]*)$/.exec(posix.basename(path))?.[1] ?? '';
  let dataList: unknown[];
  if (suffix === '.json') {
    const frames = [...BASE_FRAMES, frame(CONFIG, 361, '_from_file', 'data_list = [json.loads(path.read_text())]')];
    dataList = [loadsJson(readText(path, frames), frames)];
  } else if (suffix === '.jsonl') {
    const frames = [...BASE_FRAMES, frame(CONFIG, 363, '_from_file', 'data_list = [json.loads(line) for line in path.read_text().splitlines()]')];
    const lines = readText(path, frames).split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
    if (lines.at(-1) === '') lines.pop();
    dataList = lines.map((line) => loadsJson(line, frames));
  } else {
    throw new PythonException('ValueError', `Unsupported file extension: ${suffix}`, [
      ...BASE_FRAMES, frame(CONFIG, 365, '_from_file', 'raise ValueError(f"Unsupported file extension: {path.suffix}")'),
    ]);
  }
  // os.chdir(path.parent): relative paths inside a spec resolve against the spec's folder.
  const cwd = chdirTarget(posix.dirname(path), containerCwd());
  return dataList.map((data, index) => {
    const mergeFrame = frame(CONFIG, 374, '_from_file', 'objs.append(cls.model_validate(data | override_data))');
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new PythonException('TypeError', `unsupported operand type(s) for |: '${typeName(data)}' and 'dict'`, [...BASE_FRAMES, mergeFrame]);
    }
    const merged: Record<string, unknown> = { ...(data as Record<string, unknown>), ...overrides };
    // validate_prompt (mode="before"): prompt_path's text, stripped, when no prompt is given.
    if ((merged.prompt === undefined || merged.prompt === null) && merged.prompt_path !== undefined && merged.prompt_path !== null) {
      const promptPath = String(merged.prompt_path);
      const host = hostPathForRead(absolutePath(promptPath, cwd));
      if (host === undefined) {
        throw new PythonException('FileNotFoundError', `[Errno 2] No such file or directory: ${reprPython(promptPath)}`, [
          ...BASE_FRAMES, mergeFrame, frame(CONFIG, 349, 'validate_prompt', 'data["prompt"] = prompt_path.read_text().strip()'),
        ]);
      }
      merged.prompt = readFileSync(host, 'utf8').trim();
    }
    const errors: PydanticError[] = [];
    const values = validateFields(SAMPLE_FIELDS, merged, cwd, [], errors);
    const known = new Set(SAMPLE_FIELDS.map((f) => f.name));
    for (const [key, value] of Object.entries(merged)) {
      if (!known.has(key)) errors.push({ loc: [key], msg: 'Extra inputs are not permitted', type: 'extra_forbidden', input: value });
    }
    const hintKeys = CONTROL_KEYS.filter((key) => values[key] !== null && values[key] !== undefined);
    if (errors.length === 0 && hintKeys.length === 0) {
      errors.push({ loc: [], msg: 'Value error, No controls provided, please provide at least one control key (edge, blur, depth, seg)', type: 'value_error', input: merged });
    } else if (errors.length === 0 && hintKeys.includes('vis') && values.image_context_path) {
      errors.push({ loc: [], msg: 'Value error, vis control and image_context_path are both used to transfer style. Using these modes together leads to conflicts. Please only provide one', type: 'value_error', input: merged });
    }
    if (errors.length > 0) {
      exitOne(`Error validating parameters from '${path}' at line ${index}\n${formatValidationError('InferenceArguments', errors)}`);
    }
    return {
      values, name: String(values.name), prompt: String(values.prompt), negativePrompt: String(values.negative_prompt),
      hintKeys, json: dumpJson(SAMPLE_FIELDS, values),
    };
  });
}

/** from_files(): all files in order, then the checks on the whole batch; hint keys unioned in CONTROL_KEYS order. */
export function loadSamples(paths: string[], overrides: Record<string, unknown>): { samples: Sample[]; hintKeys: ControlKey[] } {
  if (paths.length === 0) exitOne('Error: No inference parameter files');
  const samples = paths.flatMap((path) => fromFile(path, overrides));
  if (samples.length === 0) exitOne('Error: No inference samples');
  const names = new Set<string>();
  for (const sample of samples) {
    // config.py:413 prints this one without the is_rank0() guard.
    if (names.has(sample.name)) exitOne(`Error: Inference samplename ${sample.name} is not unique`, true);
    names.add(sample.name);
  }
  const union = new Set(samples.flatMap((s) => s.hintKeys));
  return { samples, hintKeys: CONTROL_KEYS.filter((key) => union.has(key)) };
}
