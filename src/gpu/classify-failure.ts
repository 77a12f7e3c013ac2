import type { FailureKind } from '../db/schema.js';

export interface ClassifiedFailure { kind: FailureKind; message: string }

/** Reads a failed container's log (and exit code) the way a person would, per the Cosmos failure signatures. */
export function classifyContainerFailure(exitCode: number, log: string, oomKilled = false): ClassifiedFailure {
  const lines = log.split(/\r?\n|\r/).map((line) => line.trimEnd()).filter((line) => line.trim() !== '');
  const find = (pattern: RegExp) => lines.find((line) => pattern.test(line));
  const tailText = lines.filter((line) => !line.startsWith('[COSMOS_COMPLETE]')).slice(-12).join('\n');

  const guardrail = find(/GUARDRAIL BLOCKED/) ?? find(/is not safe/);
  if (guardrail) return { kind: 'guardrail_blocked', message: `blocked by the Cosmos guardrail: ${stripLoguru(guardrail)}` };

  const oom = find(/CUDA out of memory|OutOfMemoryError/);
  if (oom) return { kind: 'out_of_memory', message: `GPU out of memory: ${oom.trim()}` };
  if (exitCode === 137 || oomKilled) {
    return { kind: 'out_of_memory', message: `the container was killed (exit ${exitCode}), most likely out of host memory\n${tailText}` };
  }

  const valueError = find(/^(\[rank\d+\]:\s*)?ValueError: /);
  if (valueError) return { kind: 'bad_input', message: `Cosmos rejected the job: ${valueError.replace(/^\[rank\d+\]:\s*/, '')}` };

  // torchrun ends with its own ChildFailedError summary; the model's exception above it is what a person needs.
  const exception = lines.findLast((line) => /^(\[rank\d+\]:\s*)?[\w.]*(Error|Exception): /.test(line) && !/ChildFailedError/.test(line));
  const headline = exception ? `: ${exception.replace(/^\[rank\d+\]:\s*/, '')}` : '';
  return { kind: 'container_failed', message: `the container exited with code ${exitCode}${headline}\n${tailText}` };
}

function stripLoguru(line: string): string {
  return line.replace(/^\[[^\]]*\|[A-Z]+\|[^\]]*\]\s*/, '').trim();
}
