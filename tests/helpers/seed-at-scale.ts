import { createHash } from 'node:crypto';
import postgres from 'postgres';

export interface ScaleCounts { prompts: number; runs: number; eventsPerRun?: number }

/** What a seeded database holds that benchmarks and tests look up by value. */
export interface ScaleSample { promptId: string; runId: string; batchId: string; promptWord: string; runIdFragment: string }

const words = [
  'harbour', 'dawn', 'foggy', 'cinematic', 'street', 'neon', 'rain', 'forest', 'desert', 'road', 'noon', 'glacier',
  'kite', 'dunes', 'lighthouse', 'storm', 'winter', 'alley', 'market', 'bridge', 'river', 'canyon', 'sunset', 'city',
  'night', 'train', 'station', 'meadow', 'mountain', 'snow', 'ocean', 'waves', 'cliff', 'village', 'lantern', 'smoke',
  'factory', 'robot', 'arm', 'warehouse', 'truck', 'highway', 'tunnel', 'drone', 'aerial', 'orchard', 'harvest', 'field',
  'tractor', 'crowd', 'festival', 'temple', 'garden', 'pond', 'koi', 'bamboo', 'shadow', 'golden', 'hour', 'slow',
  'motion', 'closeup', 'wide', 'shot',
];

/**
 * Fills an empty, migrated database with `counts.prompts` prompts and `counts.runs` runs (plus batches and
 * progress events) in a few set-based statements, then VACUUM ANALYZEs it. Runs span the last 360 days, every status,
 * model type, eight hosts and a batch every 50 runs, so each list filter has realistic selectivity.
 */
export async function seedAtScale(url: string, counts: ScaleCounts): Promise<ScaleSample> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const p = counts.prompts;
  const r = counts.runs;
  const batches = Math.floor(r / 50) + 1;
  try {
    // Row triggers (the analytics rollups, foreign keys) are skipped while seeding and the rollups rebuilt once at
    // the end; trigram entries are merged in bulk. Needs a superuser, as the embedded server's is.
    await sql`set session_replication_role = replica`;
    await sql`set gin_pending_list_limit = '256MB'`;
    await sql`create temporary table seed_words as select * from unnest(${words}::text[]) with ordinality as w(word, n)`;
    await sql.unsafe(`
      insert into prompts (id, name, model_type, prompt_text, negative_prompt, inputs, parameters, content_key, parent_prompt_id, created_at)
      select 'ps_' || md5('prompt' || i),
        (select string_agg(word, '_') from (select word from seed_words where n in (1 + abs(hashint4(i)) % ${words.length}, 1 + abs(hashint4(i + 7)) % ${words.length}) order by n) w) || '_' || i,
        case when i % 20 = 0 then 'enhance' else 'transfer' end,
        (select string_agg(word, ' ') from (select word from seed_words, generate_series(1, 14) k where n = 1 + abs(hashint4(i * 31 + k)) % ${words.length}) w),
        'blurry, low quality',
        jsonb_build_object('video', jsonb_build_object('path', '/data/inputs/' || i || '/color.mp4', 'sha256', md5('v' || i) || md5('w' || i),
          'bytes', 1000000 + i, 'width', 1280, 'height', 704, 'frames', 121, 'fps', 24)),
        '{}'::jsonb,
        md5('content' || i) || md5('key' || i),
        case when i % 20 = 0 and i > 1 then 'ps_' || md5('prompt' || (i - 1)) end,
        now() - interval '370 days' + (i * (interval '365 days' / ${p}))
      from generate_series(1, ${p}) i`);
    await sql.unsafe(`
      insert into batches (id, status, options, created_at)
      select 'bt_' || md5('batch' || b), 'completed', '{}'::jsonb, now() - interval '360 days' + (b * 50 * (interval '359 days' / ${r}))
      from generate_series(0, ${batches - 1}) b`);
    await sql.unsafe(`
      insert into runs (id, prompt_id, model_type, status, stage, progress, execution_config, outputs, error_message, failure_kind,
        parent_run_id, batch_id, batch_index, workflow_id, gpu_host, container_name, rating, created_at, started_at, completed_at, updated_at)
      select id, prompt_id, model_type, status,
        case when status = 'running' then 'generating' end,
        case when status = 'completed' then 1 when status = 'running' then 0.5 else 0 end,
        '{"weights":{"vis":0.25,"edge":0.25,"depth":0.25,"seg":0.25},"num_steps":35,"guidance":5,"seed":1,"fps":24,"sigma_max":70}'::jsonb,
        case when status = 'completed' then jsonb_build_object('runDir', '/data/runs/' || id, 'logPath', '/data/runs/' || id || '/run.log',
          'files', jsonb_build_array(jsonb_build_object('name', 'output.mp4', 'path', '/data/runs/' || id || '/output.mp4', 'bytes', 5000000, 'sha256', md5(id) || md5(id)))) end,
        case when status = 'failed' then 'seeded failure' when status = 'cancelled' then 'cancelled by the user' end,
        case when status = 'failed' then (array['out_of_memory','guardrail_blocked','container_failed','gpu_host_unreachable','timeout'])[1 + i % 5]
             when status = 'cancelled' then 'cancelled' end,
        case when model_type = 'upscale' and i > 1 then 'rs_' || md5('run' || (i - 1)) end,
        case when i % 50 < 4 then 'bt_' || md5('batch' || (i / 50)) end,
        case when i % 50 < 4 then i % 50 end,
        'run-' || id, 'h100-' || (i % 8), 'cosmos-' || model_type || '-' || id,
        case when status = 'completed' and i % 7 = 0 then 1 + i % 5 end,
        created_at,
        case when status <> 'pending' then created_at + interval '5 seconds' end,
        case when status in ('completed', 'failed', 'cancelled') then created_at + interval '5 seconds' + (60 + i % 600) * interval '1 second' end,
        created_at
      from (
        select i, 'rs_' || md5('run' || i) as id,
          'ps_' || md5('prompt' || (1 + (i * 7) % ${p})) as prompt_id,
          case i % 10 when 0 then 'upscale' when 1 then 'enhance' else 'transfer' end as model_type,
          case when i % 100 < 75 then 'completed' when i % 100 < 90 then 'failed' when i % 100 < 97 then 'cancelled'
               when i % 100 < 99 then 'running' else 'pending' end as status,
          now() - interval '360 days' + (i * (interval '359 days' / ${r})) as created_at
        from generate_series(1, ${r}) i
      ) s`);
    const events = counts.eventsPerRun ?? 0;
    if (events > 0) {
      await sql.unsafe(`
        insert into run_events (run_id, at, stage, progress, message, log_seq)
        select 'rs_' || md5('run' || i), now() - interval '360 days' + (i * (interval '359 days' / ${r})) + k * interval '10 seconds',
          'generating', k::float / ${events}, 'milestone ' || k, k
        from generate_series(1, ${r}) i, generate_series(1, ${events}) k`);
    }
    await sql`select runs_rebuild_daily_stats()`;
    await sql`set session_replication_role = origin`;
    await sql`vacuum analyze`;
    const sampleRun = Math.floor(r / 2);
    return {
      promptId: `ps_${md5Hex(`prompt${Math.floor(p / 2)}`)}`,
      runId: `rs_${md5Hex(`run${sampleRun}`)}`,
      batchId: `bt_${md5Hex(`batch${Math.floor(sampleRun / 50)}`)}`,
      promptWord: 'lighthouse',
      runIdFragment: md5Hex(`run${sampleRun}`).slice(4, 16),
    };
  } finally {
    await sql.end();
  }
}

function md5Hex(text: string): string {
  // Same digest as PostgreSQL's md5(), so the sample ids match the seeded rows.
  return createHash('md5').update(text).digest('hex');
}
