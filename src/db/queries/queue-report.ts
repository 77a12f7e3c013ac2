import { eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { gpuJobs, prompts, runs, type GpuJob } from '../schema.js';

/** What the queue view needs of each run of a queued or leased job. */
export interface QueuedRunFacts {
  id: string;
  gpuHost: string | null;
  containerStartedAt: Date | null;
  /** Frames of the prompt's input video. */
  frames: number | null;
  steps: number | null;
}

/** One finished container of the newest completed runs: its host, items, input frames, steps and how long it ran. */
export interface FinishedContainer { modelType: string; host: string | null; items: number; frames: number | null; steps: number | null; seconds: number }

/** How many of the newest completed runs of each model type the duration samples come from. */
export const samplesPerModelType = 200;

/** Every job in the GPU queue, waiting or leased, with the facts of its runs. */
export async function listQueueJobs(db: Db): Promise<Array<{ job: GpuJob; runs: QueuedRunFacts[] }>> {
  const jobs = await db.select().from(gpuJobs);
  const runIds = [...new Set(jobs.flatMap((j) => j.runIds))];
  const facts = runIds.length === 0 ? [] : await db.select({
    id: runs.id, gpuHost: runs.gpuHost, containerStartedAt: runs.containerStartedAt,
    frames: sql<number | null>`(${prompts.inputs}->'video'->>'frames')::int`,
    steps: sql<number | null>`case when jsonb_typeof(${runs.executionConfig}->'num_steps') = 'number' then (${runs.executionConfig}->>'num_steps')::float8 end`,
  }).from(runs).innerJoin(prompts, eq(prompts.id, runs.promptId)).where(inArray(runs.id, runIds));
  const byId = new Map(facts.map((f) => [f.id, f]));
  return jobs.map((job) => ({ job, runs: job.runIds.flatMap((id) => byId.get(id) ?? []) }));
}

/**
 * The containers of the newest completed runs of these model types, each measured from `container_started_at` to
 * the first `downloading` event after it (the container had exited), else to `completed_at`; a batch container is
 * one sample of all its completed runs.
 */
export async function listFinishedContainers(db: Db, modelTypes: string[], perModelType = samplesPerModelType): Promise<FinishedContainer[]> {
  if (modelTypes.length === 0) return [];
  const rows = await db.execute<Record<string, unknown>>(sql`
    select s.model_type, s.gpu_host, count(*)::int as items, sum(s.frames)::int as frames,
      case when count(s.steps) = count(*) and min(s.steps) = max(s.steps) then min(s.steps) end as steps,
      extract(epoch from max(s.ended) - min(s.container_started_at))::float8 as seconds
    from unnest(array[${sql.join(modelTypes.map((m) => sql`${m}`), sql`, `)}]::text[]) as m(model_type)
    cross join lateral (
      select r.model_type, r.gpu_host, r.container_name, r.container_started_at,
        coalesce((select min(e.at) from run_events e where e.run_id = r.id and e.stage = 'downloading' and e.at >= r.container_started_at), r.completed_at) as ended,
        (p.inputs->'video'->>'frames')::int as frames,
        case when jsonb_typeof(r.execution_config->'num_steps') = 'number' then (r.execution_config->>'num_steps')::float8 end as steps
      from runs r join prompts p on p.id = r.prompt_id
      where r.status = 'completed' and r.model_type = m.model_type and r.container_started_at is not null and r.container_name is not null
      order by r.created_at desc limit ${perModelType}
    ) s
    group by s.model_type, s.gpu_host, s.container_name`);
  return [...rows].map((row) => ({
    modelType: String(row.model_type), host: row.gpu_host === null ? null : String(row.gpu_host), items: Number(row.items),
    frames: row.frames === null ? null : Number(row.frames), steps: row.steps === null ? null : Number(row.steps), seconds: Math.max(0, Number(row.seconds)),
  }));
}
