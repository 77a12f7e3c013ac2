import { bundleWorkflowCode } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('workflow bundle', () => {
  it('contains the workflows but none of ssh2, postgres, drizzle or the activity implementations', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    expect(code).toContain('runModel');
    expect(code).toContain('runBatch');
    // Webpack names every bundled module by its path, so a leaked import shows up as a path.
    for (const forbidden of ['node_modules/ssh2', 'node_modules/postgres', 'node_modules/drizzle-orm', 'src/db/', 'src/activities/', 'src/gpu/', 'src/models/', 'node_modules/zod']) {
      expect(code, `${forbidden} leaked into the workflow bundle`).not.toContain(forbidden);
    }
  });
});
