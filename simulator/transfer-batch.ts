import { readFileSync } from 'node:fs';
import { hostPathForRead } from './container-fs.js';
import { reprPython } from './python-json.js';
import { frame, PythonException } from './python-traceback.js';
import type { SimContext } from './sim-context.js';
import { parseJson, type ControlBlock } from './spec-loading.js';

const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const IO = 'cosmos_transfer1/utils/io.py';
const READ_FRAMES = [
  frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'),
  frame(TRANSFER, 285, 'demo', 'prompts = read_prompts_from_file(cfg.batch_input_path)'),
];

/** One line of the batch file, as transfer.py reads it (`p.get("prompt")`, `p.get("visual_input")`). */
export interface BatchEntry {
  prompt: string;
  inputVideo: string;
  overrides: Record<string, unknown> | undefined;
}

/**
 * utils/io.py:24-38 read_prompts_from_file(): `json.loads(line.strip())` for every line of the file, so a blank
 * line or pretty-printed JSON fails. transfer.py reads it (:283-285) after the pipeline, i.e. the whole model, has
 * loaded. A line without "prompt" gives None, which the guardrail blocks as an empty input.
 */
export function readBatchEntries(context: SimContext, path: string): BatchEntry[] {
  context.log('INFO', `${TRANSFER}:284:demo`, `Reading batch inputs from path: ${path}`);
  const hostPath = hostPathForRead(path);
  if (hostPath === undefined) {
    throw new PythonException('FileNotFoundError', `[Errno 2] No such file or directory: ${reprPython(path)}`, [
      ...READ_FRAMES,
      frame(IO, 34, 'read_prompts_from_file', 'with open(prompt_file, "r") as f:'),
    ]);
  }
  const lines = readFileSync(hostPath, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const parseFrames = [...READ_FRAMES, frame(IO, 36, 'read_prompts_from_file', 'prompt_dict = json.loads(line.strip())')];
  return lines.map((line) => {
    const entry = parseJson(line.trim(), parseFrames) as Record<string, unknown>;
    return {
      prompt: typeof entry.prompt === 'string' ? entry.prompt : '',
      inputVideo: typeof entry.visual_input === 'string' ? entry.visual_input : '',
      overrides: entry.control_overrides as Record<string, unknown> | undefined,
    };
  });
}

/**
 * transfer.py:314-320, per item as the batch loop reaches it: a deep copy of the spec's controls, each override
 * merged (`dict.update`) into its block; a key the spec lacks gets a warning, so an override cannot add a control.
 */
export function itemControls(context: SimContext, controls: Record<string, ControlBlock>, overrides: Record<string, unknown> | undefined): Record<string, ControlBlock> {
  const copy = structuredClone(controls);
  for (const [key, override] of Object.entries(overrides ?? {})) {
    const block = copy[key];
    if (!block) {
      context.log('WARNING', `${TRANSFER}:320:demo`, `Ignoring unknown control key in override: ${key}`);
      continue;
    }
    Object.assign(block, override);
  }
  return copy;
}
