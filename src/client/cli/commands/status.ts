import { diagnoseHost } from '../../../gpu/doctor/index.js';
import { readinessOf, type HostReadiness } from '../../../gpu/doctor/readiness.js';
import { collectHostStatus, type HostStatus } from '../../../gpu/host-status.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import type { CliContext } from '../context.js';
import { formatTable } from '../format.js';
import type { Output } from '../output.js';
import { UsageError } from '../usage-error.js';

const options = { host: { type: 'string' }, json: { type: 'boolean' } } as const;

export const statusCommand: Command = {
  options,
  help: `Usage: cosmos status [--host NAME] [--json]

For each configured GPU host: every GPU (nvidia-smi), our containers (label cosmos.run_id), orphan
containers (running, but their run is not running in the database) and zombie runs (running in the
database, but their container is gone), and whether the host is ready (the fast checks of \`cosmos doctor\`:
docker, images, GPUs, checkpoints, HF cache, memory, disk). Exit code 1 when a host cannot be read.

Options:
  --host NAME   only this host
  --json        print {hosts: [{host, reachable, error, gpus, containers, orphanContainers, zombieRuns, readiness}]}

Examples:
  cosmos status
  cosmos status --host h100-a --json | jq '.hosts[0].gpus'`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    if (positionals.length > 0) throw new UsageError('status takes no arguments (use --host NAME for one host)');
    const names = values.host !== undefined ? [values.host] : ctx.config.hosts.map((h) => h.name);
    const hosts = await Promise.all(names.map((name) => readHost(ctx, name)));
    if (values.json) out.json({ hosts });
    else hosts.forEach((host, i) => printHost(host, out, i > 0));
    return hosts.every((host) => host.reachable) ? 0 : 1;
  },
};

async function readHost(ctx: CliContext, name: string): Promise<HostStatus & { readiness: HostReadiness | null }> {
  const { config, transport } = await ctx.host(name);
  const [status, report] = await Promise.all([collectHostStatus(ctx.db, config, transport), diagnoseHost(config, transport, { fast: true })]);
  return { ...status, readiness: status.reachable ? readinessOf(report) : null };
}

function printHost(status: HostStatus & { readiness: HostReadiness | null }, out: Output, spaced: boolean): void {
  if (spaced) out.line();
  if (!status.reachable) {
    out.line(`${out.bold(status.host)} ${out.red('unreachable')}: ${status.error}`);
    return;
  }
  out.line(`${out.bold(status.host)} ${out.green('reachable')} · ${status.gpus.length} GPU(s)`);
  if (status.readiness?.ready) out.line(`  readiness: ${out.green('ready')}`);
  else if (status.readiness) out.line(`  readiness: ${out.red('not ready')} (\`cosmos doctor --host ${status.host}\` says what to do): ${status.readiness.problems.join('; ')}`);
  const known = (value: number | null, unit: string) => (value === null ? 'n/a' : `${value}${unit}`);
  const gpuRows = status.gpus.map((g) => [String(g.index), g.name, `${known(g.memoryUsedMiB, '')} / ${known(g.memoryTotalMiB, ' MiB')}`, known(g.utilizationPercent, '%')]);
  for (const line of formatTable(['GPU', 'NAME', 'MEMORY', 'UTIL'], gpuRows, out)) out.line(`  ${line}`);
  if (status.containers.length === 0) out.line(`  containers: ${out.dim('none')}`);
  else {
    out.line('  containers:');
    const orphanNames = new Set(status.orphanContainers.map((c) => c.name));
    const rows = status.containers.map((c) => [c.name, c.state, c.status, orphanNames.has(c.name) ? out.red('orphan') : '']);
    for (const line of formatTable(['NAME', 'STATE', 'STATUS', ''], rows, out)) out.line(`    ${line}`);
  }
  for (const c of status.orphanContainers) {
    out.line(`  ${out.red('orphan container')} ${c.name}: its run ${c.runId} is not running here; \`docker stop ${c.name}\` if nothing needs it`);
  }
  for (const run of status.zombieRuns) {
    out.line(`  ${out.red('zombie run')} ${run.id} (${run.stage ?? '-'}): running in the database but its container is gone; \`cosmos cancel ${run.id}\``);
  }
}
