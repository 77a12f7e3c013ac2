import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `host_oom`: the kernel's OOM killer SIGKILLs one rank; torchrun reports exitcode -9 and exits 1.
 * `killed` (alias `exit137`): the whole container is SIGKILLed like `docker kill`; exit 137, OOMKilled false.
 * `output_symlink`, `output_fifo`, `output_oversized`: TEST FAULTS, not model behaviour. The job succeeds and also
 * leaves a hostile entry in its outputs folder (a link to /etc/passwd, a FIFO, a 64 MiB sparse file), as a
 * compromised or buggy container could; they test that the orchestrator downloads only regular files within its caps.
 * `guardrail`: the text guardrail's model (Transfer1: Llama Guard 3) calls the prompt unsafe. `guardrail_video`: the video
 * guardrail finds the generated video unsafe (Transfer1 and Transfer2.5).
 */
export type FaultMode = 'guardrail' | 'guardrail_video' | 'oom' | 'exit1' | 'host_oom' | 'killed' | 'exit137' | 'hang' | 'slow' | 'missing_checkpoint'
  | 'output_symlink' | 'output_fifo' | 'output_oversized';

export interface FaultRule {
  promptContains?: string;
  containerNameContains?: string;
  mode: FaultMode;
}

function faultsPath(home: string): string {
  return join(home, 'faults.json');
}

export async function setFaults(home: string, faults: FaultRule[]): Promise<void> {
  await writeFile(faultsPath(home), JSON.stringify(faults, null, 2));
}

function readFaults(home: string): FaultRule[] {
  try {
    return JSON.parse(readFileSync(faultsPath(home), 'utf8')) as FaultRule[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The first rule whose every given condition holds wins; a rule with no condition matches everything. */
export function findFault(home: string, prompt: string, containerName: string): FaultMode | undefined {
  return readFaults(home).find(
    (rule) =>
      (rule.promptContains === undefined || prompt.includes(rule.promptContains)) &&
      (rule.containerNameContains === undefined || containerName.includes(rule.containerNameContains)),
  )?.mode;
}
