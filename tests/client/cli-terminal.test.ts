import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRun } from '../../src/db/queries/runs.js';
import { quoteCommand } from '../../src/gpu/shell-quote.js';
import { createPipelineHarness, demoInputs, projectRoot, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos } from '../helpers/run-cosmos.js';
import { seedRun } from '../helpers/seed-records.js';

const escape = '\u001b[';

describe('cosmos on a terminal (a real pseudo-terminal through script(1))', () => {
  let h: PipelineHarness;
  let promptId: string;

  /** Runs cosmos with a pty as stdin/stdout/stderr; `input` is typed into it. */
  function onTerminal(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; output: string }> {
    const command = quoteCommand([process.execPath, join(projectRoot, 'bin', 'cosmos.js'), ...args]);
    const env: NodeJS.ProcessEnv = { ...process.env, COSMOS_CONFIG: h.configPath, DATABASE_URL: '', TEMPORAL_ADDRESS: '', ...options.env };
    if (!options.env?.NO_COLOR) delete env.NO_COLOR;
    const child = spawn('script', ['-qec', command, '/dev/null'], { env, cwd: projectRoot });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
    if (options.input !== undefined) setTimeout(() => child.stdin.write(options.input), 1500);
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, output: output.replaceAll('\r\n', '\n') })));
  }

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local' });
    await h.startWorker();
    promptId = parseJson<{ prompt: { id: string } }>(await runCosmos(h.configPath, ['create', 'prompt', 'a harbour crane at noon', demoInputs, '--json'])).prompt.id;
  });
  afterAll(() => h?.close());

  it('colours output on a terminal, never with NO_COLOR, and never into a pipe', async () => {
    await seedRun(h.db, promptId, { status: 'failed' });
    expect((await onTerminal(['list', 'runs'])).output).toContain(`${escape}31mfailed${escape}0m`);
    expect((await onTerminal(['list', 'runs'], { env: { NO_COLOR: '1' } })).output).not.toContain(escape);
    const piped = await runCosmos(h.configPath, ['list', 'runs'], { env: { NO_COLOR: '' } });
    expect(piped.stdout).toContain('failed');
    expect(piped.stdout).not.toContain(escape);
  });

  it('highlights search matches on a terminal', async () => {
    expect((await onTerminal(['search', 'HARBOUR'])).output).toContain(`${escape}1;33mharbour${escape}0m`);
  });

  it('asks before deleting and deletes nothing unless the answer is yes', async () => {
    const run = await seedRun(h.db, promptId, { status: 'completed' });
    const declined = await onTerminal(['delete', 'run', run.id], { input: 'n\n' });
    expect(declined.output).toContain('delete all of this? [y/N]');
    expect(declined.output).toContain('nothing deleted');
    expect(declined.code).toBe(1);
    expect(await findRun(h.db, run.id)).toBeDefined();
    const accepted = await onTerminal(['delete', 'run', run.id], { input: 'y\n' });
    expect(accepted.code).toBe(0);
    expect(await findRun(h.db, run.id)).toBeUndefined();
  });

  it('draws a progress bar in place while --wait follows a run', async () => {
    const { code, output } = await onTerminal(['inference', promptId, '--wait']);
    expect(code).toBe(0);
    expect(output).toMatch(/\r.*█.* 100% transfer completed/);
    expect(output).toMatch(/\r.*% transfer generating/);
  });
});
