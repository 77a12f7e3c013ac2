import { afterEach, describe, expect, it } from 'vitest';
import { ArgparseExit, parseArgs } from '../../simulator/argparse.js';
import { chunkSeconds } from '../../simulator/generation.js';
import { BLOCKED_WORD, findBlockReason, toAscii } from '../../simulator/guardrail.js';
import { setUnbufferedFlag, stdoutIsBuffered } from '../../simulator/python-stdout.js';
import { formatTraceback, frame, frozenFrame, PythonException } from '../../simulator/python-traceback.js';
import type { SimContext } from '../../simulator/sim-context.js';
import { pythonFloat } from '../../simulator/spec-validation.js';
import { UPSAMPLER_ARGS } from '../../simulator/transfer-args.js';
import { rewritePrompt, TORCHRUN_KEYS, upsamplerHintKey } from '../../simulator/upsampler.js';

/*
 * The rules the fake cosmos-transfer1 follows, each from its source at 5005e82 (the file:line is in each test's
 * title or comment and in simulator/README.md's fidelity table). These fail when the simulator drifts from it.
 */

const context = (settings: Partial<SimContext['settings']> = {}) =>
  ({ settings: { secondsPerChunk: 540, upscaleSecondsPerChunk: 11_640, ...settings } }) as SimContext;

describe('the prompt upsampler (upsampler_pipeline.py, auxiliary/upsampler/model/upsampler.py)', () => {
  it('deletes exactly these 15 variables, in this order (upsampler_pipeline.py:50-66)', () => {
    expect(TORCHRUN_KEYS).toEqual([
      'RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'GROUP_RANK', 'ROLE_RANK', 'ROLE_NAME', 'OMP_NUM_THREADS',
      'MASTER_ADDR', 'MASTER_PORT', 'TORCHELASTIC_USE_AGENT_STORE', 'TORCHELASTIC_MAX_RESTARTS', 'TORCHELASTIC_RUN_ID',
      'TORCH_NCCL_ASYNC_ERROR_HANDLING', 'TORCHELASTIC_ERROR_FILE',
    ]);
  });

  it('answers with several lines, stripped, deterministically, within max_tokens=300 (upsampler.py:62, :117-118)', () => {
    const text = rewritePrompt('  a robot arm\nhands a cup.  ');
    expect(text).toBe(rewritePrompt('  a robot arm\nhands a cup.  '));
    expect(text.startsWith('a robot arm hands a cup.\n')).toBe(true);
    expect(text.split('\n').length).toBeGreaterThan(2);
    expect(text).toBe(text.trim());
    expect(Array.from(rewritePrompt('word '.repeat(2000))).length).toBeLessThanOrEqual(1200);
  });

  it('picks its control like _init_prompt_upsampler (world_generation_pipeline.py:258-271)', () => {
    expect(upsamplerHintKey({ depth: {}, edge: {} })).toEqual({ key: 'vis', details: 'edge' });
    expect(upsamplerHintKey({ edge: {}, vis: {} })).toEqual({ key: 'vis', details: 'vis' });
    expect(upsamplerHintKey({ depth: {}, seg: {} })).toEqual({ key: 'depth', details: '' });
    expect(upsamplerHintKey({ upscale: {} })).toBeUndefined();
  });
});

describe('Python behaviour the scripts inherit', () => {
  afterEach(() => setUnbufferedFlag(false));

  it('stdout is block-buffered on a pipe unless -u (torchrun always passes it) or a non-empty PYTHONUNBUFFERED', () => {
    expect(stdoutIsBuffered({}, false)).toBe(true);
    expect(stdoutIsBuffered({ PYTHONUNBUFFERED: '' }, false)).toBe(true);
    expect(stdoutIsBuffered({ PYTHONUNBUFFERED: '1' }, false)).toBe(false);
    expect(stdoutIsBuffered({}, true)).toBe(false);
    setUnbufferedFlag(true);
    expect(stdoutIsBuffered({}, false)).toBe(false);
  });

  it('argparse takes a value that starts with "-" when it has a space or is a negative number (argparse.py _parse_optional)', () => {
    const parse = (...argv: string[]) => parseArgs('upsampler_pipeline.py', UPSAMPLER_ARGS, ['--input_video', 'v.mp4', ...argv]);
    expect(parse('--prompt', '- a list of things').prompt).toBe('- a list of things');
    expect(parse('--prompt', '-5').prompt).toBe('-5');
    for (const value of ['-x', '--checkpoint', '-1.']) {
      expect(() => parse('--prompt', value), value).toThrow(ArgparseExit);
      expect(() => parse('--prompt', value)).toThrow('argument --prompt: expected one argument');
    }
  });

  it('float() of a control_weight string follows Python\'s grammar (inference_utils.py:1269)', () => {
    expect(pythonFloat(' 0.5 ')).toBe(0.5);
    expect(pythonFloat('1_000.5')).toBe(1000.5);
    expect(pythonFloat('1e-3')).toBe(0.001);
    expect(pythonFloat('.5')).toBe(0.5);
    expect(pythonFloat('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    expect(pythonFloat('nan')).toBeNaN();
    for (const bad of ['', '0x10', '1__0', '_1', 'lots', '1,5']) expect(pythonFloat(bad), bad).toBeUndefined();
  });

  it('prints a frozen module\'s frame without a source line and the 3.12 carets under the expression', () => {
    const error = new PythonException('KeyError', "'OMP_NUM_THREADS'", [
      frame('cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py', 69, '<module>', 'del os.environ[dist_key]', '    ~~~~~~~~~~^^^^^^^^^^'),
      frozenFrame('os', 701, '__delitem__'),
    ]);
    // Python 3.12.1 prints exactly this for the real script's lines 68-69 (run here without torchrun's variables).
    expect(formatTraceback(error, '[rank0]: ')).toBe([
      '[rank0]: Traceback (most recent call last):',
      '[rank0]:   File "/workspace/cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py", line 69, in <module>',
      '[rank0]:     del os.environ[dist_key]',
      '[rank0]:         ~~~~~~~~~~^^^^^^^^^^',
      '[rank0]:   File "<frozen os>", line 701, in __delitem__',
      "[rank0]: KeyError: 'OMP_NUM_THREADS'",
      '',
    ].join('\n'));
  });
});

describe('the text guardrail (auxiliary/guardrail: blocklist.py, common/core.py, llamaGuard3.py)', () => {
  it('blocks only an empty prompt as empty (blocklist.py:163-164); whitespace passes the blocklist', () => {
    expect(findBlockReason('', false)).toBe('BLOCKLIST: Input is empty');
    expect(findBlockReason('   ', false)).toBeUndefined();
  });

  it('matches the exact-match list as a whole word, any case, whitespace collapsed, echoing the to_ascii prompt (blocklist.py:139-148, :165)', () => {
    expect(findBlockReason(`a ${BLOCKED_WORD.toLowerCase()} here`, false)).toBe(`BLOCKLIST: Prompt blocked by exact match blocklist: Prompt: a ${BLOCKED_WORD.toLowerCase()} here, Exact Match Word: ${BLOCKED_WORD}`);
    expect(findBlockReason(`x${BLOCKED_WORD}`, false)).toBeUndefined();
    expect(findBlockReason(`café ${BLOCKED_WORD}`, false)).toContain(`Prompt: caf  ${BLOCKED_WORD}, Exact`);
    expect(toAscii('naïve — ok')).toBe('na ve   ok');
  });

  it('a guardrail fault is Llama Guard 3\'s verdict with its category text (llamaGuard3.py:50-64, categories.py S1)', () => {
    expect(findBlockReason('fine', true)).toBe('LLAMAGUARD3: Prompt blocked by Llama Guard 3. Violations: Violent Crimes.');
    expect(findBlockReason('fine', false)).toBeUndefined();
  });
});

describe('sampling time per chunk (the silence between Starting and Completed diffusion sampling)', () => {
  const base = { numSteps: 35, contextParallel: 1, upscale: false, distilled: false, controlCount: 2 };

  it('grows with every control in the spec, 3 ControlNet blocks next to the DiT\'s 28, whatever the weights', () => {
    expect(chunkSeconds(context(), base, 1)).toBeCloseTo(540);
    expect(chunkSeconds(context(), { ...base, controlCount: 4 }, 1)).toBeCloseTo((540 * 40) / 34);
    expect(chunkSeconds(context(), { ...base, controlCount: 1 }, 1)).toBeCloseTo((540 * 31) / 34);
  });

  it('scales with steps and batch items, and divides over the context-parallel GPUs', () => {
    expect(chunkSeconds(context(), { ...base, numSteps: 70 }, 1)).toBeCloseTo(1080);
    expect(chunkSeconds(context(), base, 3)).toBeCloseTo(1620);
    expect(chunkSeconds(context(), { ...base, contextParallel: 4 }, 1)).toBeCloseTo(135);
  });

  it('the distilled model is one pass: 1/70 of 35 steps with guidance, its steps ignored (model_ctrl.py:871-908)', () => {
    const distilled = { ...base, distilled: true, controlCount: 1 };
    expect(chunkSeconds(context(), distilled, 1)).toBeCloseTo((540 * 31) / 34 / 70);
    expect(chunkSeconds(context(), { ...distilled, numSteps: 35 }, 1)).toBe(chunkSeconds(context(), { ...distilled, numSteps: 1 }, 1));
  });

  it('the 4K upscaler is one call for its 9 tiles: 3 h 14 min at 10 steps (issue #134), longer than a 45 min hang timeout', () => {
    const upscale = { ...base, upscale: true, numSteps: 10, controlCount: 1 };
    expect(chunkSeconds(context(), upscale, 1)).toBe(11_640);
    expect(chunkSeconds(context(), upscale, 1)).toBeGreaterThan(45 * 60);
    expect(chunkSeconds(context(), { ...upscale, numSteps: 20 }, 1)).toBe(23_280);
  });
});
