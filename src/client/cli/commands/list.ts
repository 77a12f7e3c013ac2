import { isEntityId } from '../../../db/ids.js';
import { listPromptPage, listRunPage, maxListLimit, type PromptSummary, type RunSummary } from '../../../db/queries/listings.js';
import { decodeListCursor, decodeSearchCursor } from '../../../db/queries/page-cursor.js';
import { runStatuses, type RunStatus } from '../../../db/schema.js';
import { parseCommandArgs, parseInteger, parseSince } from '../args.js';
import type { Command } from '../command.js';
import { formatAge, formatStatus, formatTable, truncate } from '../format.js';
import type { Output } from '../output.js';
import { UsageError } from '../usage-error.js';

const options = {
  status: { type: 'string' }, model: { type: 'string' }, prompt: { type: 'string' }, batch: { type: 'string' }, host: { type: 'string' },
  since: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' }, json: { type: 'boolean' },
} as const;

export const listCommand: Command = {
  options,
  help: `Usage: cosmos list prompts|runs [filters] [--json]

Lists prompts or runs, newest first.

Filters:
  --status S      runs only: ${runStatuses.join(', ')}
  --model TYPE    model type: transfer, enhance, upscale, …
  --prompt ID     runs only: runs of this prompt
  --batch ID      runs only: runs of this batch (bt_…)
  --host NAME     runs only: runs on this GPU host
  --since WHEN    created at or after a date (2024-05-01) or within an age (30m, 12h, 7d)
  --limit N       at most N rows (default 50, up to ${maxListLimit})
  --cursor C      the next page: C is the nextCursor of the page before (printed below a full page)
  --json          print {prompts: […], nextCursor} or {runs: […], nextCursor} (docs/cli.md)

Examples:
  cosmos list runs --status failed --since 7d
  cosmos list runs --prompt ps_0123… --json | jq -r '.runs[].id'
  cosmos list prompts --limit 10
  cosmos list runs --status failed --cursor eyJ…`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [kind, ...extra] = positionals;
    if ((kind !== 'prompts' && kind !== 'runs') || extra.length > 0) throw new UsageError('expected "prompts" or "runs"');
    const common = {
      ...(values.model !== undefined ? { modelType: values.model } : {}),
      ...(values.since !== undefined ? { since: parseSince(values.since) } : {}),
      ...(values.limit !== undefined ? { limit: parseInteger('--limit', values.limit, 1, maxListLimit) } : {}),
      ...(values.cursor !== undefined ? { cursor: parseCursor(values.cursor, 'list') } : {}),
    };
    if (kind === 'prompts') {
      for (const flag of ['status', 'prompt', 'batch', 'host'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} filters runs, not prompts`);
      const page = await listPromptPage(ctx.db, common);
      if (values.json) return out.json(page);
      printPrompts(page.prompts, out);
      return printNextCursor(page.nextCursor, out);
    }
    const page = await listRunPage(ctx.db, {
      ...common,
      ...(values.status !== undefined ? { status: parseStatus(values.status) } : {}),
      ...(values.prompt !== undefined ? { promptId: parseId(values.prompt, 'ps', '--prompt') } : {}),
      ...(values.batch !== undefined ? { batchId: parseId(values.batch, 'bt', '--batch') } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
    });
    if (values.json) return out.json(page);
    printRuns(page.runs, out);
    printNextCursor(page.nextCursor, out);
  },
};

export function printPrompts(prompts: PromptSummary[], out: Output, decorate = (text: string) => text): void {
  if (prompts.length === 0) return out.line(out.dim('no prompts'));
  const rows = prompts.map((p) => [decorate(p.id), decorate(p.name), String(p.runCount), formatAge(p.createdAt), decorate(truncate(p.promptText, 60))]);
  for (const line of formatTable(['ID', 'NAME', 'RUNS', 'CREATED', 'TEXT'], rows, out)) out.line(line);
}

export function printRuns(runs: RunSummary[], out: Output, decorate = (text: string) => text): void {
  if (runs.length === 0) return out.line(out.dim('no runs'));
  const rows = runs.map((r) => [
    decorate(r.id), formatStatus(r.status, out), r.modelType, r.promptName,
    r.status === 'running' ? `${r.stage ?? '-'} ${Math.round(r.progress * 100)}%` : (r.failureKind ?? '-'),
    r.gpuHost ?? '-', r.rating ? '★'.repeat(r.rating) : '-', formatAge(r.createdAt),
  ]);
  for (const line of formatTable(['ID', 'STATUS', 'MODEL', 'PROMPT', 'STAGE/ERROR', 'HOST', 'RATING', 'CREATED'], rows, out)) out.line(line);
}

export function printNextCursor(cursor: string | null, out: Output): void {
  if (cursor) out.line(out.dim(`more: the same command with --cursor ${cursor}`));
}

/** A cursor this CLI or the API printed: of a list (`list`) or of a search (`search`). */
export function parseCursor(raw: string, of: 'list' | 'search'): string {
  const valid = of === 'list' ? decodeListCursor(raw) !== undefined : decodeSearchCursor(raw) !== undefined;
  if (!valid) throw new UsageError(`--cursor expects the nextCursor an earlier ${of === 'list' ? 'page' : 'search'} printed, got "${raw}"`);
  return raw;
}

function parseStatus(raw: string): RunStatus {
  if (!(runStatuses as readonly string[]).includes(raw)) throw new UsageError(`--status expects one of ${runStatuses.join(', ')}, got "${raw}"`);
  return raw as RunStatus;
}

function parseId(raw: string, prefix: 'ps' | 'bt', flag: string): string {
  if (!isEntityId(raw, prefix)) throw new UsageError(`${flag} expects a ${prefix}_ id (${prefix}_ followed by 32 hex digits), got "${raw}"`);
  return raw;
}
