import type { ContainerLaunch, ModelArg } from '../gpu/docker.js';
import type { ItemOutcome, JobEnd, PlanContext } from './model-type.js';
import type { ClassifiedFailure } from '../gpu/classify-failure.js';

/**
 * Job paths as the container sees them. The Cosmos-Transfer1 image runs in its checkout (`workspace`, by default
 * the host's remote_dir, which then also holds cosmos-jobs/): relative to /workspace; when the checkout is another
 * folder, remote_dir is mounted at its own path and the paths are absolute.
 */
export function jobPaths(context: PlanContext) {
  const { layout, host } = context;
  return host.workspace === host.remoteDir ? layout.rel : layout.abs;
}

const containerHfHome = '/root/.cache/huggingface';

/**
 * Controls computed on the fly load their models by Hugging Face repo id, through the HF cache, not from
 * checkpoint_dir (cosmos_transfer1/checkpoints.py:24-26; depth_anything/model/depth_anything.py:37,
 * sam2/sam2_model.py:66-71): Depth-Anything for depth, SAM2 with GroundingDINO for segmentation.
 */
export const onTheFlyModels: Record<'depth' | 'seg', string[]> = {
  depth: ['depth-anything/Depth-Anything-V2-Small-hf'],
  seg: ['facebook/sam2-hiera-large', 'IDEA-Research/grounding-dino-tiny'],
};

/**
 * The checkout at /workspace, `PYTHONPATH=/workspace`, one torchrun process per GPU. The scripts read
 * `--checkpoint_dir checkpoints`, i.e. /workspace/checkpoints: a host's own checkpoint folder is mounted there.
 */
export function launchTransfer1(context: PlanContext, gpus: number, script: string, args: ModelArg[], env: Record<string, string> = {}): ContainerLaunch {
  const { host } = context;
  const jobsMount = host.workspace === host.remoteDir ? [] : [`${host.remoteDir}:${host.remoteDir}`];
  return {
    image: host.image,
    mounts: [
      `${host.workspace}:/workspace`, ...jobsMount, ...(host.checkpoints ? [`${host.checkpoints}:/workspace/checkpoints:ro`] : []),
      `${host.hfCache}:${containerHfHome}`, ...host.mounts,
    ],
    workdir: '/workspace',
    env: { PYTHONPATH: '/workspace', HF_HOME: containerHfHome, ...env },
    command: ['torchrun', `--nproc_per_node=${gpus}`, '--nnodes=1', '--node_rank=0', script, ...args],
  };
}

/**
 * A Transfer1 job's items end in order: each finished item left its video. A failed process stops at the first
 * unfinished item (a guardrail block ends a real batch run there: transfer.py unpacks the None result), which is
 * the failed one; the rest never ran.
 */
export function assessInOrder(end: JobEnd, videoOf: (item: number) => string, classify: (exitCode: number, log: string) => ClassifiedFailure): ItemOutcome[] {
  const present = new Set(end.outputNames);
  let failedAt = -1;
  return end.plan.items.map((item, i): ItemOutcome => {
    if (failedAt === -1 && present.has(videoOf(i))) return { runId: item.runId, status: 'completed' };
    if (failedAt !== -1) return { runId: item.runId, status: 'not_run' };
    failedAt = i;
    const failure = end.exitCode === 0
      ? { kind: 'output_invalid' as const, message: `the container exited 0 but wrote no ${videoOf(i)}` }
      : classify(end.exitCode, end.log);
    return { runId: item.runId, status: 'failed', failure };
  });
}
