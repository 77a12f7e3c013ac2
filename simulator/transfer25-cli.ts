import { ArgparseExit } from './argparse.js';
import { validateFields, ValidationError, type FieldSpec, type PydanticError } from './transfer25-pydantic.js';
import { pathStr } from './transfer25-python.js';
import { OVERRIDE_FIELDS } from './transfer25-spec.js';
import { tyroParseError, tyroUnrecognized, tyroValueError } from './transfer25-tyro-panel.js';
import { containerCwd } from './transfer25-paths.js';

/**
 * tyro 0.9.35 over examples/inference.py's `Args` (cosmos-transfer2.5@2ff49d0), with `OmitArgPrefixes`: flags are
 * the field names of `SetupArguments` and `InferenceOverrides` (cosmos_transfer2/config.py). tyro rewrites `_` to
 * `-` in every `--` token (`_cli.py` "--field_name instead of --field-name"), builds `--x/--no-x` for booleans and
 * parses with `allow_abbrev=False`; `None` is accepted for Optional fields.
 */
type Kind = 'paths' | 'str' | 'optstr' | 'optint' | 'bool' | 'optbool' | 'choice' | 'int_pair' | 'int_list' | 'ignored';

interface CliOption {
  dest: string;
  group: 'root' | 'setup' | 'overrides' | 'control';
  kind: Kind;
  alias?: string;
  choices?: string[];
}

const opt = (group: CliOption['group'], kind: Kind, dests: string[], extra: Partial<CliOption> = {}): CliOption[] =>
  dests.map((dest) => ({ dest, group, kind, ...extra }));

export function experimentalCheckpoints(): boolean {
  return ['1', 'true', 'yes', 'on', 't', 'y'].includes((process.env.COSMOS_EXPERIMENTAL_CHECKPOINTS ?? '').trim().toLowerCase());
}

/** get_model_literal(BASE_MODEL_VARIANTS): MODEL_CHECKPOINTS keys in insertion order, distilled edge last. */
export function modelChoices(): string[] {
  return ['depth', 'edge', 'seg', 'vis', ...(experimentalCheckpoints() ? ['edge/distilled'] : [])];
}

function options(): CliOption[] {
  return [
    { dest: 'input_files', group: 'root', kind: 'paths', alias: '-i' },
    { dest: 'output_dir', group: 'setup', kind: 'str', alias: '-o' },
    { dest: 'model', group: 'setup', kind: 'choice', choices: modelChoices() },
    ...opt('setup', 'optstr', ['checkpoint_path', 'experiment']),
    ...opt('setup', 'str', ['config_file']),
    ...opt('setup', 'optint', ['context_parallel_size']),
    ...opt('setup', 'bool', ['disable_guardrails', 'offload_guardrail_models', 'keep_going', 'profile', 'benchmark', 'enable_parallel_tokenizer']),
    { dest: 'compile_tokenizer', group: 'setup', kind: 'choice', choices: ['NONE', 'MODERATE', 'AGGRESSIVE'] },
    { dest: 'parallel_tokenizer_grid', group: 'setup', kind: 'int_pair' },
    ...opt('overrides', 'optstr', ['prompt_path', 'prompt', 'negative_prompt', 'video_path', 'image_context_path', 'resolution', 'sigma_max', 'guided_generation_mask']),
    ...opt('overrides', 'optint', ['seed', 'guidance', 'max_frames', 'context_frame_index', 'num_video_frames_per_chunk', 'num_steps', 'guided_generation_step_threshold']),
    { dest: 'num_conditional_frames', group: 'overrides', kind: 'choice', choices: ['0', '1', '2', 'None'] },
    ...opt('overrides', 'optbool', ['show_control_condition', 'show_input', 'keep_input_resolution']),
    { dest: 'guided_generation_foreground_labels', group: 'overrides', kind: 'int_list' },
    // control:<key> only prints per-control help; its values parse but main() never reads them.
    ...opt('control', 'ignored', ['control_path', 'control_weight', 'mask_path', 'mask_prompt', 'preset_edge_threshold', 'preset_blur_strength', 'control_prompt']),
  ];
}

export interface Transfer25Cli {
  inputFiles: string[];
  setup: Record<string, unknown>;
  overrides: Record<string, unknown>;
}

const SETUP_DEFAULTS: Record<string, unknown> = {
  model: 'edge', checkpoint_path: null, experiment: null, config_file: '', context_parallel_size: null,
  disable_guardrails: false, offload_guardrail_models: false, keep_going: true, profile: false, benchmark: false,
  compile_tokenizer: 'NONE', enable_parallel_tokenizer: false, parallel_tokenizer_grid: [-1, -1],
};

const isOptionLike = (token: string) => token.startsWith('-') && token !== '-' && !/^-\d+(\.\d*)?$/.test(token);

function toInt(flag: string, raw: string, optional: boolean): number | null {
  if (optional && raw === 'None') return null;
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(raw)) tyroValueError(flag, `invalid literal for int() with base 10: '${raw}'`);
  return Number.parseInt(raw.replaceAll('_', ''), 10);
}

export function parseTransfer25Args(argv: string[]): Transfer25Cli {
  const specs = options();
  const setup: Record<string, unknown> = { ...SETUP_DEFAULTS };
  const overrides: Record<string, unknown> = {};
  const unrecognized: string[] = [];
  let inputFiles: string[] | undefined;
  let outputSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    if (raw === '-h' || raw === '--help') throw new ArgparseExit(0, 'usage: inference.py [-h] [OPTIONS] [{control:edge,control:depth,control:vis,control:seg}]\n', true);
    if (/^control:(edge|depth|vis|seg)$/.test(raw)) continue;
    if (!isOptionLike(raw)) {
      unrecognized.push(raw);
      continue;
    }
    const equals = raw.indexOf('=');
    const written = equals === -1 ? raw : raw.slice(0, equals);
    const name = written.startsWith('--') ? `--${written.slice(2).replaceAll('_', '-')}` : written;
    const inline = equals === -1 ? undefined : raw.slice(equals + 1);
    const negated = name.startsWith('--no-');
    const spec = specs.find((s) => s.alias === name || `--${s.dest.replaceAll('_', '-')}` === name)
      ?? specs.find((s) => s.kind === 'bool' && negated && `--no-${s.dest.replaceAll('_', '-')}` === name);
    if (!spec) {
      unrecognized.push(raw);
      continue;
    }
    const flag = spec.alias ? `${spec.alias}/--${spec.dest.replaceAll('_', '-')}` : `--${spec.dest.replaceAll('_', '-')}`;
    if (spec.kind === 'bool') {
      const pair = `--${spec.dest.replaceAll('_', '-')}/--no-${spec.dest.replaceAll('_', '-')}`;
      if (inline !== undefined) tyroParseError(`argument ${pair}: ignored explicit argument '${inline}'`);
      setup[spec.dest] = !negated;
      continue;
    }
    const values: string[] = inline !== undefined ? [inline] : [];
    const wanted = spec.kind === 'int_pair' ? 2 : spec.kind === 'paths' || spec.kind === 'int_list' ? Infinity : 1;
    while (inline === undefined && values.length < wanted && i + 1 < argv.length && !isOptionLike(argv[i + 1] ?? '')) values.push(argv[++i] ?? '');
    if (values.length === 0) tyroParseError(`argument ${flag}: expected ${wanted === 1 ? 'one argument' : 'at least one argument'}`);
    if (spec.kind === 'int_pair' && values.length !== 2) tyroParseError(`argument ${flag}: expected 2 arguments`);
    const value = values[0] ?? '';
    const target = spec.group === 'overrides' ? overrides : setup;
    switch (spec.kind) {
      case 'paths':
        inputFiles = values.map(pathStr);
        break;
      case 'str':
        if (spec.dest === 'output_dir') outputSeen = true;
        target[spec.dest] = spec.dest === 'output_dir' ? pathStr(value) : value;
        break;
      case 'optstr':
        target[spec.dest] = value === 'None' ? null : value;
        break;
      case 'optint':
        target[spec.dest] = toInt(flag, value, true);
        break;
      case 'optbool':
        if (!['True', 'False', 'None'].includes(value)) tyroParseError(`argument ${flag}: invalid choice: '${value}' (choose from 'True', 'False', 'None')`);
        target[spec.dest] = value === 'None' ? null : value === 'True';
        break;
      case 'choice':
        if (!spec.choices?.includes(value)) tyroParseError(`argument ${flag}: invalid choice: '${value}' (choose from ${(spec.choices ?? []).map((c) => `'${c}'`).join(', ')})`);
        target[spec.dest] = spec.dest === 'num_conditional_frames' ? (value === 'None' ? null : Number(value)) : value;
        break;
      case 'int_pair':
      case 'int_list':
        target[spec.dest] = values.map((v) => toInt(flag, v, false));
        break;
      case 'ignored':
        break;
    }
  }
  const missing = [...(inputFiles ? [] : ['-i/--input-files']), ...(outputSeen ? [] : ['-o/--output-dir'])];
  if (missing.length > 0) tyroParseError(`the following arguments are required: ${missing.join(', ')}`);
  if (unrecognized.length > 0) tyroUnrecognized(unrecognized);
  return { inputFiles: inputFiles ?? [], setup: validateSetup(setup), overrides: validateOverrides(overrides) };
}

/** SetupArguments: `context_parallel_size` is a PositiveInt, defaulting to WORLD_SIZE (`validate_model`). */
function validateSetup(setup: Record<string, unknown>): Record<string, unknown> {
  const size = setup.context_parallel_size;
  if (typeof size === 'number' && size <= 0) {
    throw new ValidationError('SetupArguments', [{ loc: ['context_parallel_size'], msg: 'Input should be greater than 0', type: 'greater_than', input: size }]);
  }
  return { ...setup, context_parallel_size: size ?? Number(process.env.WORLD_SIZE ?? '1') };
}

/**
 * InferenceArgumentsOverrides (config.py `get_overrides_cls`): the InferenceArguments fields, all Optional, no
 * validators. Paths are checked here against the process CWD, then `model_dump(exclude_none=True)`.
 */
function validateOverrides(given: Record<string, unknown>): Record<string, unknown> {
  const fields: FieldSpec[] = OVERRIDE_FIELDS.map((spec) => ({ ...spec, nullable: true, required: false, default: null }));
  const errors: PydanticError[] = [];
  const values = validateFields(fields, given, containerCwd(), [], errors);
  if (errors.length > 0) throw new ValidationError('InferenceArgumentsOverrides', errors);
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null && v !== undefined));
}
