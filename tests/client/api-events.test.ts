import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUniqueInputs } from '../helpers/pipeline-harness.js';
import { createApiHarness, TOKEN, type ApiHarness } from './api-helpers.js';
import { collectEvents, type SseEvent } from './sse-events.js';

describe('GET /runs/:id/events (Server-Sent Events)', () => {
  let api: ApiHarness;
  beforeAll(async () => { api = await createApiHarness({ pollIntervalMs: 100 }); });
  afterAll(() => api?.close());

  const open = (runId: string, headers: Record<string, string> = {}) =>
    api.app.request(`/runs/${runId}/events`, { headers: { Authorization: `Bearer ${TOKEN}`, ...headers } });

  it('streams stage, progress and log lines of a live run, ends with its completion, and resumes from Last-Event-ID', async () => {
    const inputs = await makeUniqueInputs(api.h.dir);
    const prompt = await api.call('POST', '/prompts', { body: { text: 'a heron landing on a misty pond', videoDir: inputs } });
    const started = await api.call('POST', '/runs', { body: { promptId: prompt.body.prompt.id } });
    const runId: string = started.body.run.id;

    const response = await open(runId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = await collectEvents(response);

    const kinds = new Set(events.map((e) => e.event));
    expect([...kinds]).toEqual(expect.arrayContaining(['status', 'progress', 'log', 'end']));
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { status: 'completed', progress: 1 } });
    // Seen live: at least one status snapshot of the running run before it finished.
    expect(events.some((e) => e.event === 'status' && e.data.status === 'running')).toBe(true);

    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.map((e) => e.data.stage)).toEqual(expect.arrayContaining(['uploading', 'starting', 'generating', 'downloading', 'completed']));
    expect(progress.at(-1)!.data).toMatchObject({ stage: 'completed', progress: 1 });
    const values = progress.filter((e) => e.data.stage === 'generating').map((e) => e.data.progress as number);
    expect(values.length).toBeGreaterThan(1);
    expect([...values].sort((a, b) => a - b)).toEqual(values);

    const logLines = events.filter((e) => e.event === 'log').map((e) => e.data.line as string);
    expect(logLines.some((line) => line.includes('Starting diffusion sampling'))).toBe(true);
    expect(logLines.at(-1)).toMatch(/\[COSMOS_COMPLETE\] exit_code=0/);
    // Every event id is a cursor that only moves forward.
    const cursors = events.map((e) => e.id.split('.').map(Number) as [number, number]);
    for (let i = 1; i < cursors.length; i++) {
      expect(cursors[i]![0]).toBeGreaterThanOrEqual(cursors[i - 1]![0]);
      expect(cursors[i]![1]).toBeGreaterThanOrEqual(cursors[i - 1]![1]);
    }

    // Resume from the middle: exactly the progress events and log lines after that point, then the end again.
    const middle = Math.floor(events.length / 2);
    const resumed = await collectEvents(await open(runId, { 'Last-Event-ID': events[middle]!.id }));
    const after = events.slice(middle + 1);
    const pick = (list: SseEvent[], kind: string) => list.filter((e) => e.event === kind).map((e) => JSON.stringify(e.data));
    expect(pick(resumed, 'progress')).toEqual(pick(after, 'progress'));
    expect(pick(resumed, 'log')).toEqual(pick(after, 'log'));
    expect(resumed.at(-1)).toMatchObject({ event: 'end', data: { status: 'completed' } });

    // A finished run replays its whole history and ends at once.
    const replay = await collectEvents(await open(runId));
    expect(pick(replay, 'progress')).toEqual(pick(events, 'progress'));
    expect(pick(replay, 'log')).toEqual(pick(events, 'log'));
  });
});
