import type { FailureKind } from '../db/schema.js';

const hints: Record<FailureKind, string> = {
  guardrail_blocked: 'the Cosmos safety guardrail refused the prompt or the result; reword the prompt (retrying the same text will be blocked again)',
  out_of_memory: 'the job ran out of GPU or host memory; use an 80 GB GPU, free the GPU, or lower the input resolution/length',
  bad_input: 'the inputs or parameters were rejected; fix what the message names and start a new run',
  gpu_host_unreachable: 'the GPU host could not be reached over SSH; check the host, its key and `cosmos status`',
  container_failed: 'the Cosmos container failed; read run.log (`cosmos show` prints its path) for the traceback',
  container_lost: 'the container disappeared after it was started (host reboot, docker rm, docker system prune); its work is lost: `cosmos retry <run_id>` starts it again',
  disk_full: 'the orchestrator\'s disk (data_dir) stayed full; free space there, then `cosmos retry <run_id>`',
  output_invalid: 'the job finished but an output was missing, unreadable, not a regular file (a link, a FIFO, a device) or over max_output_file_size / max_run_output_size; the message names it: check the container, the host\'s disk and run.log',
  timeout: 'the job took longer than allowed or stopped making progress; check the host, then retry',
  cancelled: 'the run was cancelled by a user',
  internal: 'an unexpected error in cosmos-workflow itself; the message and the worker log say more',
};

export function describeFailureHint(kind: FailureKind): string {
  return hints[kind];
}
