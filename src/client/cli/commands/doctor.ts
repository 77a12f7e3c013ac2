import { diagnoseHost, type DoctorCheck, type HostDoctorReport } from '../../../gpu/doctor/index.js';
import { runSmokeJob } from '../../doctor-smoke.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { UsageError } from '../usage-error.js';

const options = { host: { type: 'string' }, deep: { type: 'boolean' }, smoke: { type: 'boolean' }, json: { type: 'boolean' } } as const;

export const doctorCommand: Command = {
  options,
  help: `Usage: cosmos doctor [--host NAME] [--deep] [--smoke] [--json]

Checks each configured GPU host as the worker uses it (its SSH user, its transport): one line per check
with a verdict (ok, warn, fail) and what to do. Exit code 1 when a host is not ready (a check failed).

  docker          the daemon answers the SSH user without sudo, and its version
  image           each served model type's image is on the host (never pulled)
  nvidia-runtime  docker run --rm --gpus "device=<gpus>" <image> nvidia-smi -L sees exactly those GPUs
  gpu             each configured GPU exists, is big enough for the served models, and nothing
                  that is not ours runs on it (nvidia-smi compute processes) or holds its memory
  checkpoints     each model type's checkpoint files (--deep: and the MD5s the download script lists)
  hf-cache        the Hugging Face cache holds the models loaded by repo id (depth, segmentation)
  host-memory, shm, disk   host memory per GPU, /dev/shm, free disk under remote_dir
  write           the SSH user writes and reads in remote_dir/cosmos-jobs
  leftovers       our containers stuck in created (with docker's error), stopped ones, job folder bytes

Options:
  --host NAME   only this host
  --deep        also compare checkpoint MD5s (reads every file: minutes on a real host)
  --smoke       then, on each ready host, run one 1-step, edge-only job on the sample clip end to end
                (needs the worker running; the job is a normal run, listed by cosmos list runs)
  --json        print {ready, hosts: [{host, ready, checks: [{check, subject, verdict, detail, hint}]}]}

Examples:
  cosmos doctor
  cosmos doctor --host h100-a --deep --smoke
  cosmos doctor --json | jq '.hosts[].checks[] | select(.verdict != "ok")'`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    if (positionals.length > 0) throw new UsageError('doctor takes no arguments (use --host NAME for one host)');
    const names = values.host !== undefined ? [values.host] : ctx.config.hosts.map((h) => h.name);
    const reports = await Promise.all(names.map((name) => checkHost(ctx, name, values.deep ?? false)));
    if (values.smoke) {
      for (const report of reports.filter((r) => r.ready)) {
        const { config } = await ctx.host(report.host);
        const check = await runSmokeJob({ db: ctx.db, temporal: await ctx.temporal(), config: ctx.config }, config);
        report.checks.push(check);
        report.ready = check.verdict !== 'fail';
      }
    }
    const ready = reports.every((r) => r.ready);
    if (values.json) out.json({ ready, hosts: reports });
    else reports.forEach((report, i) => printReport(report, out, i > 0, values.smoke ?? false));
    return ready ? 0 : 1;
  },
};

async function checkHost(ctx: CliContext, name: string, deep: boolean): Promise<HostDoctorReport> {
  const { config, transport } = await ctx.host(name);
  return diagnoseHost(config, transport, { deep });
}

function printReport(report: HostDoctorReport, out: Output, spaced: boolean, smoke: boolean): void {
  if (spaced) out.line();
  const failed = report.checks.filter((c) => c.verdict === 'fail').length;
  const warned = report.checks.filter((c) => c.verdict === 'warn').length;
  const summary = report.ready ? out.green('ready') : out.red(`not ready (${failed} failed)`);
  out.line(`${out.bold(report.host)} ${summary}${warned > 0 ? `, ${out.yellow(`${warned} warning(s)`)}` : ''}`);
  const width = Math.max(...report.checks.map((c) => c.check.length));
  for (const check of report.checks) {
    out.line(`  ${paint(check, out)}  ${check.check.padEnd(width)}  ${check.subject ? `${check.subject}: ` : ''}${check.detail}`);
    if (check.hint) out.line(`  ${' '.repeat(4)}  ${' '.repeat(width)}  ${out.dim('→')} ${check.hint}`);
  }
  if (smoke && !report.ready && !report.checks.some((c) => c.check === 'smoke')) out.line(`  ${out.dim('smoke job not run: the host is not ready')}`);
}

function paint(check: DoctorCheck, out: Output): string {
  const text = check.verdict.padEnd(4);
  return check.verdict === 'ok' ? out.green(text) : check.verdict === 'warn' ? out.yellow(text) : out.red(text);
}
