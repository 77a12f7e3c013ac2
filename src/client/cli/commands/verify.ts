import { fixArtifactProblems, verifyArtifacts, type ArtifactProblem } from '../../../core/verify-artifacts.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import type { Output } from '../output.js';
import { UsageError } from '../usage-error.js';

const options = { fix: { type: 'boolean' }, json: { type: 'boolean' } } as const;

export const verifyCommand: Command = {
  options,
  help: `Usage: cosmos verify [--fix] [--json]

Checks every file the database records for a run against the disk (present, same size, same sha256),
each completed run's manifest.json against the database, and looks for run folders under
<data_dir>/runs/ that no run owns. Exit code 1 when it finds a problem (and --fix was not given).

--fix acts on exactly what was listed: a missing file is removed from the run's recorded outputs, a
tampered file is deleted and removed from them, a manifest is rewritten from the database, an orphan
folder is removed.

Options:
  --fix    repair what was found
  --json   print {runsChecked, filesChecked, problems: […], fixed: […] | null} (docs/cli.md)

Examples:
  cosmos verify
  cosmos verify --fix`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    if (positionals.length > 0) throw new UsageError('verify takes no arguments');
    const report = await verifyArtifacts(ctx.db, ctx.config.dataDir);
    const fixed = values.fix ? await fixArtifactProblems(ctx.db, ctx.config.dataDir, report.problems) : null;
    if (values.json) {
      out.json({ ...report, fixed });
    } else {
      out.line(`checked ${report.filesChecked} file(s) of ${report.runsChecked} run(s)`);
      for (const problem of report.problems) out.line(describeProblem(problem, out));
      for (const { problem, action } of fixed ?? []) out.line(`${out.green('fixed')} ${problem.kind} ${problem.path}: ${action}`);
      if (report.problems.length === 0) out.line(out.green('everything matches'));
      else if (!fixed) out.line(`${report.problems.length} problem(s); \`cosmos verify --fix\` repairs them`);
    }
    return report.problems.length > 0 && !fixed ? 1 : 0;
  },
};

function describeProblem(problem: ArtifactProblem, out: Output): string {
  const padded = problem.kind.padEnd(8);
  const label = problem.kind === 'orphan' ? out.yellow(padded) : out.red(padded);
  return `${label} ${problem.runId} ${problem.path}: ${problem.detail}`;
}
