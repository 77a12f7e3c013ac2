import { describe, expect, it } from 'vitest';
import type { Prompt, Run } from '../../src/db/schema.js';
import { describeJobLayout } from '../../src/gpu/job-layout.js';
import type { JobEnd, JobItem } from '../../src/models/model-type.js';
import { countChunks25, transfer25Model } from '../../src/models/transfer25.js';
import { resolveTransfer25Params } from '../../src/models/transfer25-params.js';

const video = { path: '/v.mp4', sha256: 'a'.repeat(64), bytes: 1, width: 640, height: 480, frames: 121, fps: 29.97 };
const item = (id: string, text: string, config: Record<string, unknown> = {}): JobItem => ({
  run: { id, executionConfig: config } as unknown as Run,
  prompt: { promptText: text, negativePrompt: 'n', inputs: { video } } as unknown as Prompt,
});
const host = { image: 'cosmos-transfer2.5:x', workspace: '/srv/ct25', hfCache: '/srv/hf', env: {}, mounts: [], remoteDir: '/srv/jobs', gpusPerJob: 2 };
const plan = (items: JobItem[]) => transfer25Model.planJob({ items, layout: describeJobLayout('/srv/jobs', 'bt_1-1'), host });
const loguru = (message: string, level = 'INFO') => `[12-01 10:00:00|${level}|cosmos_transfer2/inference.py:167:generate] ${message}`;

describe('Cosmos-Transfer2.5 plan', () => {
  it('writes one spec per sample named by its run id, with the types the real config.py takes', () => {
    const p = plan([item('rs_a', 'a tram', { weights: { edge: 0.5, depth: 0.3 }, sigma_max: 80 })]);
    const spec = JSON.parse(p.texts['rs_a.json']!) as Record<string, unknown>;
    expect(spec).toEqual({
      name: 'rs_a', prompt: 'a tram', negative_prompt: 'n', video_path: '/srv/jobs/cosmos-jobs/bt_1-1/inputs/rs_a_color.mp4',
      guidance: 3, seed: 2025, num_steps: 35, resolution: '720', sigma_max: '80', keep_input_resolution: true,
      edge: { control_weight: 0.5, preset_edge_threshold: 'medium' }, depth: { control_weight: 0.3 },
    });
    expect(p.launch.command).toEqual(['torchrun', '--nproc_per_node=2', '--nnodes=1', '--node_rank=0', 'examples/inference.py',
      '-i', '/srv/jobs/cosmos-jobs/bt_1-1/inputs/rs_a.json', '-o', '/srv/jobs/cosmos-jobs/bt_1-1/outputs']);
    expect(p.launch.mounts).toEqual(['/srv/ct25:/workspace', '/workspace/.venv', '/srv/jobs:/srv/jobs']);
    expect(p.items[0]!.localName!('rs_a.mp4')).toBe('output.mp4');
    expect(p.items[0]!.localName!('rs_a_control_edge.mp4')).toBe('control_edge.mp4');
  });

  it('runs the distilled edge model with its environment variable, its flag and 4 steps', () => {
    expect(resolveTransfer25Params({ distilled: true }).num_steps).toBe(4);
    expect(() => resolveTransfer25Params({ distilled: true, weights: { vis: 0.5 } })).toThrow(/edge control only/);
    expect(() => resolveTransfer25Params({ guidance: 3.5 })).toThrow(/whole number/);
    expect(() => resolveTransfer25Params({ weights: { edge: 0 } })).toThrow(/at least one control/);
    const p = plan([item('rs_d', 'x', { distilled: true })]);
    expect(p.launch.env).toEqual({ COSMOS_EXPERIMENTAL_CHECKPOINTS: '1' });
    expect(p.launch.command.slice(-2)).toEqual(['--model', 'edge/distilled']);
  });

  it('counts 93-frame chunks overlapping by one frame', () => {
    expect([1, 93, 94, 121, 185, 186, 650].map(countChunks25)).toEqual([1, 1, 2, 2, 2, 3, 8]);
    expect(transfer25Model.batchKey!(resolveTransfer25Params({ weights: { edge: 1, depth: 0.5 } }))).not.toBe(transfer25Model.batchKey!(resolveTransfer25Params({})));
  });

  it('sees a skipped sample as guardrail_blocked (text or video) and a crash as the failure of the sample it was on', () => {
    const p = plan([item('rs_1', 'one'), item('rs_2', 'two'), item('rs_3', 'three')]);
    const classify = () => ({ kind: 'out_of_memory' as const, message: 'oom' });
    const end = (log: string[], exitCode: number, outputNames: string[]): JobEnd => ({ plan: p, exitCode, oomKilled: false, log: log.join('\n'), outputNames });
    const blocked = end([
      loguru('[1/3] Processing sample rs_1'), loguru('Generated video saved to /o/rs_1.mp4', 'SUCCESS'),
      loguru('[2/3] Processing sample rs_2'), loguru('Guardrail blocked generation. Prompt: two', 'CRITICAL'),
      loguru('[3/3] Processing sample rs_3'), loguru('Running guardrail check on video...'),
    ], 0, ['rs_1.mp4', 'rs_1.json', 'rs_2.json', 'rs_3.json', 'rs_3_control_edge.mp4']);
    expect(transfer25Model.assessJob(blocked, classify).map((o) => [o.status, o.status === 'failed' ? o.failure.kind : null])).toEqual([
      ['completed', null], ['failed', 'guardrail_blocked'], ['failed', 'guardrail_blocked'],
    ]);
    const crashed = end([loguru('[1/3] Processing sample rs_1'), loguru('Generated video saved to /o/rs_1.mp4', 'SUCCESS'), loguru('[2/3] Processing sample rs_2')], 1, ['rs_1.mp4']);
    expect(transfer25Model.assessJob(crashed, classify).map((o) => o.status)).toEqual(['completed', 'failed', 'not_run']);
  });

  it('reports progress per denoising step from rank 0 and 1 bars, and a milestone per chunk', () => {
    const p = transfer25Model.planJob({ items: [item('rs_x', 'x', { num_steps: 2 })], layout: describeJobLayout('/srv/jobs', 'rs_x'), host: { ...host, gpusPerJob: 1 } });
    const tracker = transfer25Model.trackProgress(p);
    expect(tracker.feed(`${loguru('[1/1] Processing sample rs_x')}\n`)).toEqual([{ item: 0, stage: 'starting', progress: 0.08, message: 'model loaded, sample started' }]);
    tracker.feed('Generating samples:  50%|█████     | 1/2 [00:01<00:01,  1.00s/it]\r');
    expect(tracker.current().progress).toBeCloseTo(0.1 + 0.8 * (1 / 4));
    const chunk = tracker.feed('Generating samples: 100%|██████████| 2/2 [00:02<00:00,  1.00s/it]\n');
    expect(chunk).toEqual([{ item: 0, stage: 'generating', progress: expect.closeTo(0.5), message: 'chunk 1/2: done' }]);
  });

  it('on several GPUs a blocked prompt leaves the process unable to go on: the job is stuck and the later samples did not run', () => {
    const p = plan([item('rs_1', 'one'), item('rs_2', 'two')]);
    const log = [loguru('[1/2] Processing sample rs_1'), loguru('Guardrail blocked generation. Prompt: one', 'CRITICAL'), loguru('[2/2] Processing sample rs_2')];
    const tracker = transfer25Model.trackProgress(p);
    tracker.feed(`${log.slice(0, 1).join('\n')}\n`);
    expect(tracker.stuck!()).toBeNull();
    tracker.feed(`${log.slice(1).join('\n')}\n`);
    expect(tracker.stuck!()).toMatch(/rank 0 skipped a blocked prompt while the other 1 rank/);
    const outcomes = transfer25Model.assessJob({ plan: p, exitCode: 137, oomKilled: false, log: log.join('\n'), outputNames: ['rs_1.json'] }, () => ({ kind: 'container_failed', message: 'killed' }));
    expect(outcomes.map((o) => [o.status, o.status === 'failed' ? o.failure.kind : null])).toEqual([['failed', 'guardrail_blocked'], ['not_run', null]]);
    // Another rank's bar (\r, no newline) in front of rank 0's record on the same line of the merged log.
    const merged = transfer25Model.trackProgress(p);
    merged.feed(`${log[0]}\n\rGenerating samples:   0%|          | 0/35 [00:00<?, ?it/s]${log[1]}\n`);
    expect(merged.stuck!()).toMatch(/rank 0 skipped a blocked prompt/);
    const single = transfer25Model.trackProgress(transfer25Model.planJob({ items: [item('rs_1', 'one')], layout: describeJobLayout('/srv/jobs', 'rs_1'), host: { ...host, gpusPerJob: 1 } }));
    single.feed(`${log.slice(0, 2).join('\n')}\n`);
    expect(single.stuck!()).toBeNull();
  });
});
