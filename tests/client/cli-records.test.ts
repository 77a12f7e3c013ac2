import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandTable } from '../../src/client/cli/command-table.js';
import { createPipelineHarness, demoInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos, type CosmosResult } from '../helpers/run-cosmos.js';
import { seedRun } from '../helpers/seed-records.js';

const exec = promisify(execFile);

interface PromptJson { id: string; name: string; negativePrompt: string }
interface RunJson { id: string; status: string; promptId: string; promptName?: string; rating: number | null }

describe('cosmos create/list/search/show/rate (built executable, real stack)', () => {
  let h: PipelineHarness;
  let promptId: string;
  let runId: string;
  const cosmos = (...args: string[]): Promise<CosmosResult> => runCosmos(h.configPath, args);

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local' });
    await h.startWorker();
    const created = parseJson<{ created: boolean; prompt: PromptJson }>(await cosmos('create', 'prompt', 'A Lighthouse in a winter storm, cinematic', demoInputs, '--json'));
    promptId = created.prompt.id;
    const finished = parseJson<{ run: RunJson }>(await cosmos('inference', promptId, '--wait', '--json'));
    runId = finished.run.id;
  });
  afterAll(() => h?.close());

  it('creates a prompt with a derived name and the default negative prompt, and returns the same prompt twice', async () => {
    const human = await cosmos('create', 'prompt', 'A Lighthouse in a winter storm, cinematic', demoInputs);
    expect(human).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^exists ${promptId} lighthouse_winter_storm\\n`)) });
    const again = parseJson<{ created: boolean; prompt: PromptJson }>(await cosmos('create', 'prompt', 'A Lighthouse in a winter storm, cinematic', demoInputs, '--json'));
    expect(again).toMatchObject({ created: false, prompt: { id: promptId, name: 'lighthouse_winter_storm', negativePrompt: h.config.defaults.negative_prompt } });
    expect(await cosmos('create', 'prompt', '   ', demoInputs)).toMatchObject({ code: 1, stderr: 'cosmos: prompt text is blank\n' });
    expect(await cosmos('create', 'prompt', 'x', demoInputs, '--name', 'bad name;rm')).toMatchObject({ code: 1, stderr: expect.stringContaining('must be 1–80 letters') });
    expect(await cosmos('create', 'prompt', 'only text')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected "<text>" and <video_dir>') });
  });

  it('lists runs and prompts as a table and as JSON, with filters', async () => {
    const table = await cosmos('list', 'runs');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID +STATUS +MODEL +PROMPT/);
    expect(table.stdout).toContain(`${runId}  completed  transfer  lighthouse_winter_storm`);

    const { runs } = parseJson<{ runs: RunJson[] }>(await cosmos('list', 'runs', '--status', 'completed', '--prompt', promptId, '--since', '1h', '--json'));
    expect(runs).toEqual([expect.objectContaining({ id: runId, status: 'completed', promptId, promptName: 'lighthouse_winter_storm' })]);
    expect(parseJson<{ nextCursor: string | null }>(await cosmos('list', 'runs', '--json')).nextCursor).toBeNull();
    expect(parseJson<{ runs: RunJson[] }>(await cosmos('list', 'runs', '--status', 'failed', '--json')).runs).toEqual([]);
    expect(parseJson<{ runs: RunJson[] }>(await cosmos('list', 'runs', '--model', 'upscale', '--json')).runs).toEqual([]);

    const prompts = parseJson<{ prompts: { id: string; runCount: number }[] }>(await cosmos('list', 'prompts', '--limit', '5', '--json')).prompts;
    expect(prompts).toEqual([expect.objectContaining({ id: promptId, runCount: 1 })]);
    expect((await cosmos('list', 'prompts')).stdout).toContain(`${promptId}  lighthouse_winter_storm  1`);
  });

  it('refuses bad list filters with exit 2 and a line that says what to fix', async () => {
    expect(await cosmos('list', 'runs', '--status', 'done')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^cosmos: --status expects one of pending, queued, running, completed, failed, cancelled, got "done" \(see `cosmos list --help`\)\n$/) });
    expect(await cosmos('list', 'runs', '--since', 'yesterday')).toMatchObject({ code: 2, stderr: expect.stringContaining('--since expects a date') });
    expect(await cosmos('list', 'runs', '--limit', '0')).toMatchObject({ code: 2, stderr: expect.stringContaining('--limit expects a whole number') });
    expect(await cosmos('list', 'prompts', '--status', 'failed')).toMatchObject({ code: 2, stderr: expect.stringContaining('--status filters runs') });
    expect(await cosmos('list', 'things')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected "prompts" or "runs"') });
    expect(await cosmos('list', 'runs', '--cursor', 'nope')).toMatchObject({ code: 2, stderr: expect.stringContaining('--cursor expects the nextCursor') });
    expect(await cosmos('search', 'x', '--cursor', 'nope')).toMatchObject({ code: 2, stderr: expect.stringContaining('--cursor expects the nextCursor') });
    expect(await cosmos('list', 'runs', '--colour')).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--colour'") });
  });

  it('searches text, name and id case-insensitively', async () => {
    const human = await cosmos('search', 'WINTER storm');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('prompts (1)');
    expect(human.stdout).toContain(promptId);
    const byRunId = parseJson<{ query: string; prompts: unknown[]; runs: RunJson[] }>(await cosmos('search', runId.slice(3, 20).toUpperCase(), '--json'));
    expect(byRunId.runs.map((r) => r.id)).toEqual([runId]);
    const byName = parseJson<{ prompts: PromptJson[] }>(await cosmos('search', 'lighthouse_winter', '--json'));
    expect(byName.prompts.map((p) => p.id)).toEqual([promptId]);
    expect(parseJson<{ prompts: unknown[]; runs: unknown[] }>(await cosmos('search', 'no such thing', '--json'))).toMatchObject({ prompts: [], runs: [] });
    expect(await cosmos('search')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected one search text') });
  });

  it('shows a prompt with its runs, and a run with its files, lineage and events', async () => {
    const prompt = await cosmos('show', promptId);
    expect(prompt.stdout).toContain('text:     A Lighthouse in a winter storm, cinematic');
    expect(prompt.stdout).toMatch(new RegExp(`${runId} transfer +completed`));
    expect(parseJson<{ prompt: PromptJson; runs: RunJson[] }>(await cosmos('show', promptId, '--json')).runs.map((r) => r.id)).toEqual([runId]);

    const run = await cosmos('show', runId);
    expect(run.stdout).toContain(`${runId} transfer completed`);
    expect(run.stdout).toMatch(/output: .*output\.mp4/);
    const json = parseJson<{ run: RunJson; prompt: PromptJson; lineage: Record<string, unknown>; events: { stage: string }[]; hint: null }>(await cosmos('show', runId, '--json'));
    expect(json).toMatchObject({ run: { id: runId }, prompt: { id: promptId }, lineage: { promptId, parentRunId: null, childRunIds: [] }, hint: null });
    expect(json.events.map((e) => e.stage)).toContain('generating');
    expect(await cosmos('show', 'rs_nope')).toMatchObject({ code: 1, stderr: 'cosmos: "rs_nope" is neither a prompt id (ps_…), a run id (rs_…) nor a batch id (bt_…)\n' });
  });

  it('shows a failed run with its error and a hint', async () => {
    const failed = await seedRun(h.db, promptId, { status: 'failed', failureKind: 'out_of_memory', errorMessage: 'CUDA out of memory' });
    const shown = await cosmos('show', failed.id);
    expect(shown.stdout).toContain('error (out_of_memory): CUDA out of memory');
    expect(shown.stdout).toContain('hint: the job ran out of GPU or host memory');
    expect(parseJson<{ hint: string }>(await cosmos('show', failed.id, '--json')).hint).toContain('ran out of GPU');
    expect(await cosmos('rate', failed.id, '3')).toMatchObject({ code: 1, stderr: expect.stringContaining('is failed; only completed runs can be rated') });
  });

  it('rates a completed run and refuses ratings outside 1–5', async () => {
    expect(await cosmos('rate', runId, '4')).toMatchObject({ code: 0, stdout: `rated ${runId} ★★★★☆\n` });
    expect(parseJson<{ run: { id: string; rating: number } }>(await cosmos('rate', runId, '5', '--json'))).toEqual({ run: { id: runId, rating: 5 } });
    expect(parseJson<{ runs: RunJson[] }>(await cosmos('list', 'runs', '--json')).runs.find((r) => r.id === runId)?.rating).toBe(5);
    expect(await cosmos('rate', runId, '6')).toMatchObject({ code: 2, stderr: expect.stringContaining('from 1 to 5, got "6"') });
    expect(await cosmos('rate', runId, '2.5')).toMatchObject({ code: 2 });
    expect(await cosmos('rate', `rs_${'0'.repeat(32)}`, '3')).toMatchObject({ code: 1, stderr: expect.stringContaining('does not exist') });
  });

  it('prints help with examples for every command, and a usage summary', async () => {
    for (const key of Object.keys(commandTable)) {
      const help = await cosmos(...key.split(' '), '--help');
      expect(help.code, key).toBe(0);
      expect(help.stdout, key).toMatch(/^Usage: cosmos /);
      expect(help.stdout, key).toMatch(/Examples?:/);
    }
    expect(await cosmos()).toMatchObject({ code: 2, stderr: expect.stringContaining('Commands:') });
    expect((await cosmos('--help')).stdout).toContain('verify');
  });

  it('prints bash and zsh completion scripts that complete commands, first words and flags', async () => {
    const bash = await cosmos('completion', 'bash');
    expect(bash.code).toBe(0);
    const complete = async (...words: string[]) => {
      const script = `${bash.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _cosmos; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return (await exec('bash', ['-c', script])).stdout.trim().split('\n');
    };
    expect(await complete('cosmos', 'ver')).toEqual(['verify']);
    expect(await complete('cosmos', 'list', '')).toEqual(['prompts', 'runs']);
    expect(await complete('cosmos', 'list', 'runs', '--st')).toEqual(['--status']);
    expect(await complete('cosmos', 'inference', '--dry')).toEqual(['--dry-run']);
    const zsh = await cosmos('completion', 'zsh');
    expect(zsh.stdout).toMatch(/^#compdef cosmos\n/);
    expect(zsh.stdout).toContain("'logs:print a run");
    expect(await cosmos('completion', 'fish')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected "bash" or "zsh"') });
  });
});
