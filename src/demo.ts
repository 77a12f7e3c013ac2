import { DefaultLogger, Runtime } from '@temporalio/worker';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startInference, webUiLink } from './client/runs.js';
import { connectTemporal } from './client/temporal.js';
import { createOutput, createProgressBar } from './client/cli/output.js';
import { loadConfig } from './config.js';
import { createPrompt } from './core/create-prompt.js';
import { createDb } from './db/client.js';
import { findRun } from './db/queries/runs.js';
import { findProjectRoot } from './paths.js';
import { startEmbeddedStack } from './services/embedded-stack.js';
import { startWorker } from './worker.js';

/** The end-to-end demo: embedded stack, worker, one prompt from the sample inputs, one inference, the result. */
async function runDemo(): Promise<number> {
  const out = createOutput();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config = loadConfig();
  out.line(out.bold('cosmos-workflow demo'));
  const stack = await startEmbeddedStack(config, (line) => out.line(`  ${line}`));
  const ui = stack.temporalUiUrl;
  const withUi = { ...config, temporal: { ...config.temporal, ...(ui ? { ui_url: ui } : {}) } };
  const worker = await startWorker(withUi, stack);
  out.line(`  GPU host        ${config.hosts.map((h) => `${h.name} (${h.transport}${config.simulatedHost ? ', simulator' : ''})`).join(', ')}`);
  const { db, close: closeDb } = createDb(stack.databaseUrl, { max: 2 });
  const temporal = await connectTemporal({ address: stack.temporalAddress, namespace: config.temporal.namespace });
  try {
    const { prompt } = await createPrompt(db, {
      text: 'A robotic arm hands a steaming cup of coffee to a woman in a sunlit modern office, photorealistic, cinematic lighting',
      videoDir: join(findProjectRoot(), 'samples', 'demo'),
    }, { negativePrompt: config.defaults.negative_prompt, posterDir: join(config.dataDir, 'posters') });
    out.line(`prompt ${out.bold(prompt.id)} (${prompt.name})`);
    const { run, workflowId } = await startInference({ db, temporal: temporal.client, config: withUi }, { promptId: prompt.id });
    out.line(`run    ${out.bold(run.id)}`);
    const bar = createProgressBar(out);
    for (;;) {
      const current = (await findRun(db, run.id))!;
      bar.update(current.status === 'running' ? current.stage ?? 'running' : current.status, current.progress);
      if (['completed', 'failed', 'cancelled'].includes(current.status)) {
        bar.finish();
        const video = current.outputs?.files.find((f) => f.name === 'output.mp4');
        out.line(`status ${current.status === 'completed' ? out.green(current.status) : out.red(current.status)}`);
        if (video) out.line(`output ${video.path}`);
        if (current.errorMessage) out.line(`error  ${current.errorMessage}`);
        out.line(`web ui ${webUiLink(withUi, workflowId) ?? '(no Web UI configured)'}`);
        return current.status === 'completed' ? 0 : 1;
      }
      await sleep(300);
    }
  } finally {
    await temporal.close();
    await closeDb();
    await worker.shutdown();
    await stack.stop();
  }
}

runDemo().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
