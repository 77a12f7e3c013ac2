import { frame, PythonException } from './python-traceback.js';
import type { SimContext } from './sim-context.js';

/**
 * The simulator's stand-in for an entry of the guardrail's exact-match blocklist (the real lists are files under
 * checkpoints/nvidia/Cosmos-Guardrail1/blocklist/exact_match, not in the source).
 */
export const BLOCKED_WORD = 'GUARDRAIL_BLOCKED_WORD';

const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
const PRESETS = 'cosmos_transfer1/auxiliary/guardrail/common/presets.py';

/** blocklist/utils.py:43-45 `to_ascii`: every run of non-ASCII characters becomes one space. */
export function toAscii(prompt: string): string {
  return prompt.replace(/[^\x00-\x7F]+/g, ' ');
}

/**
 * Why the text guardrail (presets.py:30-32: Blocklist, then Llama Guard 3) blocks a prompt, as
 * `<CLASSNAME>: <message>` (common/core.py:52-58), or undefined when it passes (cosmos-transfer1@5005e82):
 * - blocklist.py:163-164 `if not input_prompt`: an empty (or missing) prompt is "Input is empty"; whitespace is not;
 * - blocklist.py:139-148 whole-word, case-insensitive match after collapsing whitespace, echoing the to_ascii'd
 *   prompt (:165) and the list's word;
 * - the `guardrail` fault stands for Llama Guard 3 judging the prompt unsafe: llamaGuard3.py:50-64 with category S1
 *   (llamaGuard3/categories.py, its trailing period dropped).
 */
export function findBlockReason(prompt: string, forcedByFault: boolean): string | undefined {
  if (prompt === '') return 'BLOCKLIST: Input is empty';
  const ascii = toAscii(prompt);
  const normalized = ascii.replace(/\s+/g, ' ').trim().toLowerCase();
  if (new RegExp(`\\b${BLOCKED_WORD.toLowerCase()}\\b`).test(normalized)) {
    return `BLOCKLIST: Prompt blocked by exact match blocklist: Prompt: ${ascii}, Exact Match Word: ${BLOCKED_WORD}`;
  }
  if (forcedByFault) return 'LLAMAGUARD3: Prompt blocked by Llama Guard 3. Violations: Violent Crimes.';
  return undefined;
}

/**
 * The text guardrail over one generation batch (world_generation_pipeline.py:728-739). Returns the indexes that
 * pass; when none pass, generate() returns None and transfer.py crashes on it.
 */
export function checkPrompts(context: SimContext, reasons: (string | undefined)[], saveInputNoise: boolean): number[] {
  context.log('INFO', `${PIPELINE}:728:generate`, 'Running guardrail checks on all prompts');
  reasons.forEach((reason, i) => {
    if (reason === undefined) return;
    context.log('CRITICAL', `${PRESETS}:55:run_text_guardrail`, `GUARDRAIL BLOCKED: ${reason}`);
    context.log('CRITICAL', `${PIPELINE}:735:generate`, `Input text prompt ${i + 1} is not safe`);
  });
  const safe = reasons.flatMap((reason, i) => (reason === undefined ? [i] : []));
  if (safe.length > 0) return safe;
  context.log('CRITICAL', `${PIPELINE}:738:generate`, 'All prompts failed safety checks');
  throw blockedBatch(context, saveInputNoise);
}

/**
 * The video guardrail over the batch's generated videos (world_generation_pipeline.py:788-800): the
 * VideoContentSafetyFilter classifies frames (video_content_safety_filter.py:115-155: safe when ≥ 95 % of frames are
 * "Safe"; the `guardrail_video` fault makes them unsafe). Returns the indexes that pass.
 */
export function checkVideos(context: SimContext, unsafe: boolean[], saveInputNoise: boolean): number[] {
  context.log('INFO', `${PIPELINE}:788:generate`, 'Run guardrail on generated videos');
  unsafe.forEach((blocked, i) => {
    if (!blocked) return;
    context.log('CRITICAL', `${PRESETS}:71:run_video_guardrail`, 'GUARDRAIL BLOCKED: VIDEOCONTENTSAFETYFILTER: unsafe frames detected');
    context.log('CRITICAL', `${PIPELINE}:797:generate`, `Generated video ${i + 1} is not safe`);
  });
  const safe = unsafe.flatMap((blocked, i) => (blocked ? [] : [i]));
  if (safe.length > 0) return safe;
  context.log('CRITICAL', `${PIPELINE}:799:generate`, 'All generated videos failed safety checks');
  throw blockedBatch(context, saveInputNoise);
}

/**
 * transfer.py:376-387: `log.critical("Guardrail blocked generation for entire batch.")`, then `continue` only leaves
 * the repeat loop and the None result is unpacked.
 */
function blockedBatch(context: SimContext, saveInputNoise: boolean): PythonException {
  context.log('CRITICAL', `${TRANSFER}:377:demo`, 'Guardrail blocked generation for entire batch.');
  return new PythonException('TypeError', 'cannot unpack non-iterable NoneType object', [
    frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'),
    saveInputNoise
      ? frame(TRANSFER, 385, 'demo', 'videos, final_prompts, input_noise = batch_outputs', '^'.repeat(34))
      : frame(TRANSFER, 387, 'demo', 'videos, final_prompts = batch_outputs', '^'.repeat(21)),
  ]);
}
