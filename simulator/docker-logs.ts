import { CliError } from './cli-error.js';
import { formatRfc3339Nano, parseDockerTime } from './clock.js';
import { findContainer, logPath } from './container-state.js';
import { flagBool, flagValue, parseFlags } from './docker-flags.js';
import { readLogEntries, type LogEntry } from './log-store.js';

export async function showLogs(home: string, args: string[]): Promise<number> {
  const flags = parseFlags('logs', args, {
    follow: { kind: 'bool', short: 'f' },
    since: { kind: 'value' },
    until: { kind: 'value' },
    tail: { kind: 'value', short: 'n' },
    timestamps: { kind: 'bool', short: 't' },
    details: { kind: 'bool' },
  });
  const [reference, ...extra] = flags.positionals;
  if (!reference || extra.length > 0) {
    throw new CliError(`"docker logs" requires exactly 1 argument.\nSee 'docker logs --help'.`, 1);
  }
  const container = findContainer(home, reference);
  if (!container) throw new CliError(`Error response from daemon: No such container: ${reference}`, 1);
  const name = container.config.name;
  const since = parseTimeFlag(flagValue(flags, 'since'));
  const until = parseTimeFlag(flagValue(flags, 'until'));
  const tail = flagValue(flags, 'tail') ?? 'all';
  const timestamps = flagBool(flags, 'timestamps');
  const keep = (entry: LogEntry) =>
    (since === undefined || BigInt(entry.t) >= since) && (until === undefined || BigInt(entry.t) <= until);

  let { entries, nextOffset } = readLogEntries(logPath(home, name), 0);
  entries = entries.filter(keep);
  if (tail !== 'all') entries = Number(tail) > 0 ? entries.slice(-Number(tail)) : [];
  writeEntries(entries, timestamps);
  if (!flagBool(flags, 'follow')) return 0;

  for (;;) {
    const stillRunning = findContainer(home, name)?.state.status === 'running';
    const next = readLogEntries(logPath(home, name), nextOffset);
    nextOffset = next.nextOffset;
    writeEntries(next.entries.filter(keep), timestamps);
    if (!stillRunning) return 0;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function parseTimeFlag(text: string | undefined): bigint | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return parseDockerTime(text);
  } catch (error) {
    throw new CliError((error as Error).message, 1);
  }
}

function writeEntries(entries: LogEntry[], timestamps: boolean): void {
  for (const entry of entries) {
    const text = timestamps ? `${formatRfc3339Nano(BigInt(entry.t))} ${entry.d}` : entry.d;
    (entry.s === 'stderr' ? process.stderr : process.stdout).write(text);
  }
}
