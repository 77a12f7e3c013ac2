import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError, NotFoundError } from '../../../core/input-error.js';
import { isEntityId } from '../../../db/ids.js';
import { findRun } from '../../../db/queries/runs.js';
import type { Run } from '../../../db/schema.js';
import { describeJobLayout } from '../../../gpu/job-layout.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../usage-error.js';

const options = { follow: { type: 'boolean', short: 'f' } } as const;
const chunkBytes = 256 * 1024;
const pollMs = 500;

export const logsCommand: Command = {
  options,
  help: `Usage: cosmos logs <run_id> [-f]

Prints the container log of a run: live from the GPU host while it runs, from the downloaded run.log
afterwards.

Options:
  -f, --follow   keep printing new lines until the run ends; then exit 0 if it completed, 1 otherwise

Examples:
  cosmos logs rs_0123…
  cosmos logs rs_0123… -f | grep -i sampling`,

  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [runId, ...extra] = positionals;
    if (runId === undefined || extra.length > 0) throw new UsageError('expected one run id');
    if (!isEntityId(runId, 'rs')) throw new InputError(`"${runId}" is not a run id (rs_ followed by 32 hex digits)`);
    const run = await findRun(ctx.db, runId);
    if (!run) throw new NotFoundError(`run ${runId} does not exist`);
    if (isFinished(run)) {
      process.stdout.write(await readFinishedLog(ctx, run));
      return values.follow ? exitCodeOf(run) : 0;
    }
    let current: Run | undefined = run;
    if (!run.gpuHost && !values.follow) throw new InputError(`run ${runId} is ${run.status} and has no GPU host yet (-f waits for one)`);
    // Waiting in the GPU queue: the log begins once a host takes the run.
    while (current && !current.gpuHost && !isFinished(current)) {
      await sleep(pollMs);
      current = await findRun(ctx.db, run.id);
    }
    if (!current) return 1;
    if (!current.gpuHost) {
      process.stdout.write(await readFinishedLog(ctx, current).catch(() => ''));
      return exitCodeOf(current);
    }
    const { config, transport } = await ctx.host(current.gpuHost);
    const remoteLog = describeJobLayout(config.remote_dir, run.id).abs.logPath;
    const decoder = new StringDecoder('utf8');
    let offset = 0;
    const drain = async () => {
      for (;;) {
        const chunk = await transport.readRange(remoteLog, offset, chunkBytes).catch(() => Buffer.alloc(0));
        if (chunk.length === 0) return;
        offset += chunk.length;
        process.stdout.write(decoder.write(chunk));
      }
    };
    await drain();
    if (!values.follow) return 0;
    for (;;) {
      current = await findRun(ctx.db, run.id);
      if (!current || isFinished(current)) {
        await drain();
        process.stdout.write(decoder.end());
        return current ? exitCodeOf(current) : 1;
      }
      await sleep(pollMs);
      await drain();
    }
  },
};

async function readFinishedLog(ctx: CliContext, run: Run): Promise<string> {
  const local = run.outputs?.logPath ?? join(ctx.config.dataDir, 'runs', run.id, 'run.log');
  const text = await readFile(local, 'utf8').catch(() => null);
  if (text !== null) return text;
  throw new InputError(`run ${run.id} is ${run.status} and has no log at ${local}`);
}

const isFinished = (run: Run) => run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled';
const exitCodeOf = (run: Run) => (run.status === 'completed' ? 0 : 1);
