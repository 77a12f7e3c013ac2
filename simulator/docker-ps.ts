import { CliError } from './cli-error.js';
import { formatRfc3339Nano, nowNs, parseRfc3339Nano, ZERO_TIME } from './clock.js';
import { listContainers, type Container } from './container-state.js';
import { flagBool, flagList, flagValue, parseFlags } from './docker-flags.js';
import { renderTemplate } from './go-template.js';

export function listPs(home: string, args: string[]): number {
  const flags = parseFlags('ps', args, {
    all: { kind: 'bool', short: 'a' },
    quiet: { kind: 'bool', short: 'q' },
    'no-trunc': { kind: 'bool' },
    filter: { kind: 'list', short: 'f' },
    format: { kind: 'value' },
    latest: { kind: 'bool', short: 'l' },
    size: { kind: 'bool', short: 's' },
  });
  const filters = flagList(flags, 'filter').map(parseFilter);
  const truncate = !flagBool(flags, 'no-trunc');
  let containers = listContainers(home).filter(
    (c) => (flagBool(flags, 'all') || c.state.status === 'running') && matchesFilters(c, filters),
  );
  if (flagBool(flags, 'latest')) containers = containers.slice(0, 1);
  const rows = containers.map((c) => describeRow(c, truncate));
  const format = flagBool(flags, 'quiet') ? '{{.ID}}' : flagValue(flags, 'format');
  if (format === undefined || format === 'table') {
    printTable(rows);
  } else {
    for (const row of rows) process.stdout.write(`${renderTemplate(format.replace(/^table /, ''), row)}\n`);
  }
  return 0;
}

interface Filter {
  key: string;
  value: string;
}

function parseFilter(text: string): Filter {
  const equals = text.indexOf('=');
  if (equals === -1) throw new CliError(`invalid argument "${text}" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee 'docker ps --help'.`, 125);
  const key = text.slice(0, equals);
  if (!['label', 'name', 'status', 'id'].includes(key)) {
    throw new CliError(`Error response from daemon: invalid filter '${key}'`, 1);
  }
  return { key, value: text.slice(equals + 1) };
}

/** Values of one key are alternatives (OR); different keys must all hold (AND), as in Docker. */
function matchesFilters({ config, state }: Container, filters: Filter[]): boolean {
  const keys = new Set(filters.map((f) => f.key));
  return [...keys].every((key) =>
    filters
      .filter((f) => f.key === key)
      .some(({ value }) => {
        if (key === 'status') return state.status === value;
        if (key === 'id') return config.id.startsWith(value);
        if (key === 'name') return new RegExp(value).test(config.name);
        const equals = value.indexOf('=');
        if (equals === -1) return value in config.labels;
        return config.labels[value.slice(0, equals)] === value.slice(equals + 1);
      }),
  );
}

function describeRow({ config, state }: Container, truncate: boolean): Record<string, unknown> {
  const command = [...(config.entrypoint ?? []), ...config.cmd].join(' ');
  const labels = Object.entries(config.labels).sort(([a], [b]) => a.localeCompare(b));
  return {
    Command: `"${truncate && command.length > 20 ? `${command.slice(0, 19)}…` : command}"`,
    CreatedAt: formatCreatedAt(config.created),
    ID: truncate ? config.id.slice(0, 12) : config.id,
    Image: config.image,
    Labels: labels.map(([k, v]) => `${k}=${v}`).join(','),
    LocalVolumes: '0',
    Mounts: config.mounts.map((m) => m.source).join(','),
    Names: config.name,
    Networks: config.network,
    Ports: '',
    RunningFor: `${humanDuration(config.created)} ago`,
    Size: '0B',
    State: state.status,
    Status: describeStatus(state.status, state.exitCode, state.startedAt, state.finishedAt),
    Label: (key: string) => config.labels[key] ?? '',
  };
}

function formatCreatedAt(created: string): string {
  return `${formatRfc3339Nano(parseRfc3339Nano(created)).slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

function describeStatus(status: string, exitCode: number, startedAt: string, finishedAt: string): string {
  if (status === 'running') return `Up ${humanDuration(startedAt)}`;
  if (status === 'exited') return `Exited (${exitCode}) ${humanDuration(finishedAt)} ago`;
  return 'Created';
}

/** Docker's units.HumanDuration. */
function humanDuration(since: string): string {
  if (since === ZERO_TIME) return 'Less than a second';
  const seconds = Number((nowNs() - parseRfc3339Nano(since)) / 1_000_000_000n);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  return `${Math.floor(hours / 24)} days`;
}

function printTable(rows: Record<string, unknown>[]): void {
  const columns: [string, string][] = [
    ['CONTAINER ID', 'ID'], ['IMAGE', 'Image'], ['COMMAND', 'Command'], ['CREATED', 'RunningFor'],
    ['STATUS', 'Status'], ['PORTS', 'Ports'], ['NAMES', 'Names'],
  ];
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, key]) => String(row[key])))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  for (const line of cells) {
    process.stdout.write(`${line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3))).join('')}\n`);
  }
}
