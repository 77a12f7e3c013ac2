import { maxListLimit, searchRecords } from '../../../db/queries/listings.js';
import { parseCommandArgs, parseInteger } from '../args.js';
import type { Command } from '../command.js';
import { highlightMatches } from '../format.js';
import { UsageError } from '../usage-error.js';
import { parseCursor, printNextCursor, printPrompts, printRuns } from './list.js';

const options = { limit: { type: 'string' }, cursor: { type: 'string' }, json: { type: 'boolean' } } as const;

export const searchCommand: Command = {
  options,
  help: `Usage: cosmos search <text> [--limit N] [--json]

Finds prompts whose text, name or id contains <text>, and runs whose id contains it; case-insensitive,
matches highlighted on a terminal.

Options:
  --limit N    at most N prompts and N runs (default 50)
  --cursor C   the next page: C is the nextCursor of the search before (printed below a full page)
  --json       print {query, prompts: […], runs: […], nextCursor} (docs/cli.md)

Examples:
  cosmos search harbour
  cosmos search "rainy street" --json | jq -r '.prompts[].id'`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [query, ...extra] = positionals;
    if (query === undefined || extra.length > 0) throw new UsageError('expected one search text (quote it if it has spaces)');
    if (query.trim() === '') throw new UsageError('the search text is blank');
    const limit = values.limit !== undefined ? parseInteger('--limit', values.limit, 1, maxListLimit) : undefined;
    const found = await searchRecords(ctx.db, query, {
      ...(limit !== undefined ? { limit } : {}),
      ...(values.cursor !== undefined ? { cursor: parseCursor(values.cursor, 'search') } : {}),
    });
    if (values.json) return out.json({ query, ...found });
    const mark = (text: string) => highlightMatches(text, query, out);
    out.line(out.bold(`prompts (${found.prompts.length})`));
    printPrompts(found.prompts, out, mark);
    if (found.runs.length > 0) {
      out.line();
      out.line(out.bold(`runs (${found.runs.length})`));
      printRuns(found.runs, out, mark);
    }
    printNextCursor(found.nextCursor, out);
  },
};
