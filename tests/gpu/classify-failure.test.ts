import { describe, expect, it } from 'vitest';
import { classifyContainerFailure } from '../../src/gpu/classify-failure.js';

describe('classifyContainerFailure', () => {
  it('reads a guardrail block as guardrail_blocked, whatever the exit code', () => {
    const log = '[06-07 10:21:25|CRITICAL|cosmos_transfer1/utils/guardrail.py:12:run] GUARDRAIL BLOCKED: BLOCKLIST: word\nTypeError: cannot unpack non-iterable NoneType object\n';
    expect(classifyContainerFailure(1, log)).toEqual({ kind: 'guardrail_blocked', message: 'blocked by the Cosmos guardrail: GUARDRAIL BLOCKED: BLOCKLIST: word' });
  });

  it('reads CUDA OOM and exit 137 as out_of_memory', () => {
    expect(classifyContainerFailure(1, '[rank0]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB').kind).toBe('out_of_memory');
    expect(classifyContainerFailure(137, 'Loading base model checkpoint').kind).toBe('out_of_memory');
  });

  it('reads a validation ValueError as bad_input and anything else as container_failed with the tail', () => {
    expect(classifyContainerFailure(1, "ValueError: Must have 'input_video' specified if sigma_max < 80")).toEqual({
      kind: 'bad_input', message: "Cosmos rejected the job: ValueError: Must have 'input_video' specified if sigma_max < 80",
    });
    const failed = classifyContainerFailure(1, 'line 1\nRuntimeError: boom\n[COSMOS_COMPLETE] exit_code=1\n');
    expect(failed.kind).toBe('container_failed');
    expect(failed.message).toContain('RuntimeError: boom');
    expect(failed.message).not.toContain('COSMOS_COMPLETE');
  });
});
