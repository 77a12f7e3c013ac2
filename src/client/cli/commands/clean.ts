import { readDurationMs } from '../../../config-values.js';
import { cleanHost, planHostCleanup, type CleanupItem, type CleanupOptions, type HostCleanup } from '../../../gpu/host-cleanup.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { confirmOrRefuse } from '../confirm.js';
import { formatBytes, formatTable } from '../format.js';
import type { Output } from '../output.js';
import { UsageError } from '../usage-error.js';

const options = {
  host: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'older-than': { type: 'string' }, yes: { type: 'boolean', short: 'y' }, json: { type: 'boolean' },
} as const;

export const cleanCommand: Command = {
  options,
  help: `Usage: cosmos clean [--host NAME] [--dry-run] [--older-than 7d] [--yes] [--json]

Removes from the GPU hosts what nothing needs any more, and prints what it frees:
  - our stopped containers (exited, dead, or created and never started; label cosmos.run_id),
  - job folders <remote_dir>/cosmos-jobs/<job>/ whose runs are all finished: failed, cancelled, or completed
    with their outputs downloaded and verified,
  - cache files <remote_dir>/cosmos-cache/sha256/<sha256> that no prompt's inputs and no run's outputs name.
Nothing of a job with a pending or running run (a batch: any of its runs) is touched, nor anything of a job
this database does not know. Sizes: a container's writable layer, apparent sizes of files (as du -sb).
Without a terminal a real run needs --yes.

Options:
  --host NAME         only this host
  --dry-run           list exactly what would be removed, with sizes and the total; remove nothing
  --older-than AGE    only what finished (a container: exited; a cache file: was written) longer ago than this
                      (default 7d; 30m, 12h, 7d, 2w, 0s for everything)
  -y, --yes           do not ask
  --json              print {dryRun, olderThan, bytes, hosts: [{host, error, items, bytes, kept, failed}]}

Examples:
  cosmos clean --dry-run
  cosmos clean --older-than 1d --yes
  cosmos clean --host h100-a --dry-run --json | jq '.hosts[0].items[] | .name'`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    if (positionals.length > 0) throw new UsageError('clean takes no arguments (use --host NAME for one host)');
    const olderThan = values['older-than'] ?? '7d';
    const settings: CleanupOptions = { olderThanMs: parseAge(olderThan), now: Date.now() };
    const dryRun = Boolean(values['dry-run']);
    const names = values.host !== undefined ? [values.host] : ctx.config.hosts.map((h) => h.name);
    const hosts = await Promise.all(names.map((name) => ctx.host(name)));
    const plans = await Promise.all(hosts.map((h) => planHostCleanup(ctx.db, h.config, h.transport, settings)));
    const report = (results: HostCleanup[]) => {
      const bytes = results.reduce((sum, r) => sum + r.bytes, 0);
      if (values.json) out.json({ dryRun, olderThan, bytes, hosts: results });
      else printResults(results, dryRun, olderThan, out);
      return results.every((r) => r.error === null && r.failed.length === 0) ? 0 : 1;
    };
    const count = plans.reduce((sum, p) => sum + p.items.length, 0);
    if (dryRun || count === 0) return report(plans);
    // Shown before the question; with --yes only what was removed is printed.
    if (!values.json && !values.yes) printResults(plans, true, olderThan, out);
    const total = plans.reduce((sum, p) => sum + p.bytes, 0);
    if (!await confirmOrRefuse(`remove these ${count} item(s), ${formatBytes(total)}?`, Boolean(values.yes))) {
      out.line('nothing removed');
      return 1;
    }
    const results: HostCleanup[] = [];
    for (const [i, h] of hosts.entries()) {
      const plan = plans[i]!;
      results.push(plan.items.length === 0 ? plan : await cleanHost(ctx.db, h.config, h.transport, plan.items, settings));
    }
    if (!values.json && !values.yes) out.line();
    return report(results);
  },
};

/** An age like the config's durations (`30s`, `5m`, `4h`), plus days and weeks; `0s` means everything finished. */
export function parseAge(raw: string): number {
  const long = /^(\d+)(d|w)$/.exec(raw);
  const ms = long ? Number(long[1]) * (long[2] === 'd' ? 86_400_000 : 604_800_000) : readDurationMs(raw);
  if (ms === null || !Number.isSafeInteger(ms)) throw new UsageError(`--older-than expects an age such as 30m, 12h, 7d or 2w, got "${raw}"`);
  return ms;
}

const kindLabel: Record<CleanupItem['kind'], string> = { container: 'container', job_folder: 'job folder', cache_file: 'cache file' };

function printResults(results: HostCleanup[], planned: boolean, olderThan: string, out: Output): void {
  for (const [i, r] of results.entries()) {
    if (i > 0) out.line();
    if (r.error) {
      out.line(`${out.bold(r.host)} ${out.red('not cleaned')}: ${r.error}`);
      continue;
    }
    out.line(`${out.bold(r.host)}: ${planned ? 'would remove' : 'removed'} ${r.items.length} item(s), ${formatBytes(r.bytes)} (${r.bytes} bytes)`);
    const rows = r.items.map((item) => [kindLabel[item.kind], String(item.bytes), item.name]);
    if (rows.length > 0) for (const line of formatTable(['KIND', 'BYTES', 'NAME'], rows, out)) out.line(`  ${line}`);
    for (const { item, error } of r.failed) out.line(`  ${out.red('not removed')} ${kindLabel[item.kind]} ${item.name}: ${error}`);
    const kept = Object.entries(r.kept).filter(([, n]) => n > 0).map(([reason, n]) => `${n} ${keptLabel(reason, olderThan)}`);
    if (kept.length > 0) out.line(`  kept: ${kept.join(', ')}`);
  }
  const total = results.reduce((sum, r) => sum + r.bytes, 0);
  if (results.length > 1) out.line(`${planned ? 'would free' : 'freed'} ${formatBytes(total)} (${total} bytes) in all`);
}

function keptLabel(reason: string, olderThan: string): string {
  switch (reason) {
    case 'open': return 'item(s) of open runs';
    case 'recent': return `item(s) younger than ${olderThan}`;
    case 'unverified': return 'item(s) of completed runs without verified outputs';
    case 'unknown': return 'item(s) of jobs this database has no run for';
    default: return 'cache file(s) still referenced';
  }
}
