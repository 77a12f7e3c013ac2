import { frame, PythonException } from './python-traceback.js';
import type { SimContext } from './sim-context.js';

export const BLOCKED_WORD = 'GUARDRAIL_BLOCKED_WORD';

const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
const PRESETS = 'cosmos_transfer1/auxiliary/guardrail/common/presets.py';

/** Why the text guardrail blocks a prompt, or undefined when it passes. */
export function findBlockReason(prompt: string, forcedByFault: boolean): string | undefined {
  if (prompt.trim() === '') return 'Input is empty';
  // blocklist.py:148 check_against_whole_word_blocklist (cosmos-transfer1@5005e82): the reason echoes the prompt.
  if (prompt.includes(BLOCKED_WORD)) return `Prompt blocked by exact match blocklist: Prompt: ${prompt}, Exact Match Word: ${BLOCKED_WORD}`;
  if (forcedByFault) return 'Prompt blocked by the blocklist: found a blocked phrase';
  return undefined;
}

/**
 * Runs the text guardrail over one generation batch. Returns the indexes that pass; when none pass, raises the
 * crash of the real script (since #159 the None result is unpacked: TypeError).
 */
export function checkPrompts(context: SimContext, reasons: (string | undefined)[]): number[] {
  context.log('INFO', `${PIPELINE}:668:generate`, 'Running guardrail checks on all prompts');
  reasons.forEach((reason, i) => {
    if (reason === undefined) return;
    context.log('CRITICAL', `${PRESETS}:83:run_text_guardrail`, `GUARDRAIL BLOCKED: BLOCKLIST: ${reason}`);
    context.log('CRITICAL', `${PIPELINE}:674:generate`, `Input text prompt ${i + 1} is not safe`);
  });
  const safe = reasons.flatMap((reason, i) => (reason === undefined ? [i] : []));
  if (safe.length > 0) return safe;
  context.log('CRITICAL', `${PIPELINE}:679:generate`, 'All prompts failed safety checks');
  context.log('CRITICAL', `${TRANSFER}:364:demo`, 'Guardrail blocked generation for entire batch.');
  throw new PythonException('TypeError', 'cannot unpack non-iterable NoneType object', [
    frame(TRANSFER, 413, '<module>', 'demo(args, control_inputs)'),
    frame(TRANSFER, 367, 'demo', 'videos, final_prompts = batch_outputs'),
  ]);
}
