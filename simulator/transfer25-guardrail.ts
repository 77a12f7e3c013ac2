import { BLOCKED_WORD } from './guardrail.js';
import type { Logger25 } from './transfer25-log.js';

/**
 * The guardrails of cosmos-transfer2.5@2ff49d0 (`cosmos_transfer2/_src/imaginaire/auxiliary/guardrail/`), run by
 * rank 0 only. Text: `GuardrailRunner.run_safety_check` (common/core.py) runs Blocklist then Qwen3Guard and stops
 * at the first block, whose reason becomes `<CLASSNAME>: <message>`; `presets.run_text_guardrail` logs it as
 * CRITICAL `GUARDRAIL BLOCKED: ...` from a `_src` module, so it reaches debug.log but not stdout.
 * The simulated blocklist holds one word, GUARDRAIL_BLOCKED_WORD, matched like `check_against_whole_word_blocklist`
 * (whitespace-normalized, lower-cased, `\b` word boundaries); `Blocklist.is_safe` blocks an empty input. The
 * `guardrail` fault stands for a Qwen3Guard "Unsafe" verdict, the `guardrail_video` fault for the SigLIP video
 * filter finding unsafe frames.
 */
const GUARDRAIL = 'cosmos_transfer2/_src/imaginaire/auxiliary/guardrail';
const CORE = `${GUARDRAIL}/common/core.py`;
const PRESETS = `${GUARDRAIL}/common/presets.py`;
const VIDEO_FILTER = `${GUARDRAIL}/video_content_safety_filter/video_content_safety_filter.py`;

function blocklistReason(text: string): string | undefined {
  if (text === '') return 'Input is empty';
  const normalized = text.replace(/\s+/g, ' ').trim().toLowerCase();
  const word = BLOCKED_WORD.toLowerCase();
  const pattern = new RegExp(`(?<![A-Za-z0-9_])${word}(?![A-Za-z0-9_])`);
  if (pattern.test(normalized)) return `Prompt blocked by exact match blocklist: Prompt: ${text}, Exact Match Word: ${BLOCKED_WORD}`;
  return undefined;
}

/** The reason the text guardrail blocks `text` (already logged), or undefined when it passes. */
export function textBlockReason(log: Logger25, text: string, qwenUnsafe: boolean): string | undefined {
  log('DEBUG', `${CORE}:62:run_safety_check`, 'Running guardrail: BLOCKLIST');
  let reason = blocklistReason(text);
  if (reason !== undefined) {
    reason = `BLOCKLIST: ${reason}`;
  } else {
    log('DEBUG', `${CORE}:62:run_safety_check`, 'Running guardrail: QWEN3GUARD');
    if (qwenUnsafe) reason = "QWEN3GUARD: Prompt blocked by Qwen3Guard. Safety: Unsafe, Categories: ['Violent']";
  }
  if (reason !== undefined) log('CRITICAL', `${PRESETS}:58:run_text_guardrail`, `GUARDRAIL BLOCKED: ${reason}`);
  return reason;
}

/** `VideoContentSafetyFilter.is_safe_frames` over every output frame (all unsafe here), then the block. */
export function videoBlockLines(log: Logger25, frames: number): void {
  log('DEBUG', `${CORE}:62:run_safety_check`, 'Running guardrail: VIDEOCONTENTSAFETYFILTER');
  for (let n = 0; n < frames; n++) log('WARNING', `${VIDEO_FILTER}:135:is_safe_frames`, `Unsafe frame detected in frame_number ${n}: Hate_and_Harassment`);
  log('WARNING', `${VIDEO_FILTER}:144:is_safe_frames`, `Unsafe frame count ${frames} is greater than 10% of total frames ${frames}`);
  log('CRITICAL', `${PRESETS}:74:run_video_guardrail`, 'GUARDRAIL BLOCKED: VIDEOCONTENTSAFETYFILTER: unsafe frames detected');
}
