import type { Command } from '../command.js';

export const workerCommand: Command = {
  options: {},
  help: `Usage: cosmos worker

Runs the Temporal worker: one orchestration task queue plus one queue per configured GPU host, with at most
(GPUs ÷ GPUs per job) jobs at a time on each host. Stops cleanly on Ctrl-C / SIGTERM; running GPU jobs keep
running and the next worker re-attaches to them.

Example:
  COSMOS_CONFIG=/etc/cosmos/cosmos.toml cosmos worker`,

  async run() {
    const { runWorkerMain } = await import('../../../worker.js');
    await runWorkerMain();
  },
};
