import { readFileSync } from 'node:fs';
import { hostPathForRead } from './container-fs.js';
import { reprPython } from './python-json.js';
import { frame, PythonException } from './python-traceback.js';
import type { SimContext } from './sim-context.js';
import { parseJson, type ControlBlock } from './spec-loading.js';
import { joinPython, type TransferItem } from './transfer-item.js';

const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const READ_FRAMES = [
  frame(TRANSFER, 413, '<module>', 'demo(args, control_inputs)'),
  frame(TRANSFER, 268, 'demo', 'prompts = read_prompts_from_file(cfg.batch_input_path)'),
];

/**
 * read_prompts_from_file(): `json.loads(line.strip())` for every line, so a blank line or pretty-printed JSON
 * fails. Overrides merge into copies of the spec's control blocks; they cannot add a control.
 */
export function readBatchItems(
  context: SimContext,
  path: string,
  controls: Record<string, ControlBlock>,
  folder: string,
): TransferItem[] {
  const hostPath = hostPathForRead(path);
  if (hostPath === undefined) {
    throw new PythonException('FileNotFoundError', `[Errno 2] No such file or directory: ${reprPython(path)}`, READ_FRAMES);
  }
  const lines = readFileSync(hostPath, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const parseFrames = [...READ_FRAMES, frame('cosmos_transfer1/utils/io.py', 47, 'read_prompts_from_file', 'prompts.append(json.loads(line.strip()))')];
  return lines.map((line, index) => {
    const entry = parseJson(line.trim(), parseFrames) as Record<string, unknown>;
    const itemControls = structuredClone(controls);
    const overrides = (entry.control_overrides ?? {}) as Record<string, ControlBlock>;
    for (const [key, override] of Object.entries(overrides)) {
      const block = itemControls[key];
      if (!block) {
        context.log('WARNING', `${TRANSFER}:312:demo`, `Ignoring unknown control key in override: ${key}`);
        continue;
      }
      Object.assign(block, override);
    }
    return {
      prompt: typeof entry.prompt === 'string' ? entry.prompt : '',
      inputVideo: typeof entry.visual_input === 'string' ? entry.visual_input : '',
      controls: itemControls,
      workDir: joinPython(folder, `video_${index}`),
      fault: undefined,
    };
  });
}
