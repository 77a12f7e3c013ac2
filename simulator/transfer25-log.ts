import { appendFileSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { LogLevel } from './loguru.js';
import { containerCwd } from './transfer25-paths.js';

/**
 * cosmos-transfer2.5's loguru setup (2ff49d0):
 * - format `[{time:MM-DD HH:mm:ss}|{level}|{extra[relative_path]}:{line}:{function}] {message}`, where
 *   relative_path = os.path.relpath(file, os.getcwd()) (`_src/imaginaire/utils/log.py` `_add_relative_path`);
 * - stdout (`packages/cosmos-oss/cosmos_oss/init.py` `_init_log_console`): INFO and up through `_console_filter`:
 *   rank 0 only (CRITICAL from any rank), and no record from a module matching `*._*`, `projects.*` or
 *   `cosmos_transfer2._src.imaginaire.*` unless it is `..._src.imaginaire.utils.checkpoint_db`. With
 *   COSMOS_VERBOSE: DEBUG, every module, rank-0 filter only.
 * - `<out>/console.log` (INFO, same filter) and `<out>/debug.log` (DEBUG, everything of rank 0), `mode="w"`,
 *   attached by `init_output_dir` on rank 0 only (`_init_log_files`).
 * The colour tags render as ANSI codes only on a TTY; the simulated container's stdout never is one.
 */
export interface Logger25 {
  /** `where` = `<repo-relative file>:<line>:<function>`. */
  (level: LogLevel, where: string, message: string): void;
  attachFiles(outputDirHost: string): void;
}

const LEVELS: LogLevel[] = ['DEBUG', 'INFO', 'SUCCESS', 'WARNING', 'ERROR', 'CRITICAL'];

function flagOn(name: string): boolean {
  return ['1', 'true', 'yes', 'on', 't', 'y'].includes((process.env[name] ?? '').trim().toLowerCase());
}

function timestamp(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(now.getMonth() + 1)}-${two(now.getDate())} ${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
}

/** The console filter's module test, on the module name derived from the repo-relative file. */
export function hiddenFromConsole(file: string): boolean {
  if (file === 'cosmos_transfer2/_src/imaginaire/utils/checkpoint_db.py') return false;
  if (file.startsWith('examples/')) return false; // run as a script: module `__main__`
  const module = file.replace(/^packages\/[^/]+\//, '').replace(/\.py$/, '').replaceAll('/', '.');
  return /\._/.test(module) || module.startsWith('projects.') || module.startsWith('cosmos_transfer2._src.imaginaire.');
}

export function createLogger25(rank: number, repoRoot: string): Logger25 {
  const verbose = flagOn('COSMOS_VERBOSE');
  let sinks: { console: string; debug: string } | undefined;
  const log = ((level: LogLevel, where: string, message: string) => {
    const [file = '', ...rest] = where.split(':');
    const relative = posix.relative(containerCwd(), posix.join(repoRoot, file)) || file;
    const line = `[${timestamp(new Date())}|${level}|${[relative, ...rest].join(':')}] ${message}\n`;
    const atLeast = (min: LogLevel) => LEVELS.indexOf(level) >= LEVELS.indexOf(min);
    const consoleOk = !hiddenFromConsole(file) && (rank === 0 || level === 'CRITICAL');
    if (verbose ? rank === 0 : consoleOk && atLeast('INFO')) process.stdout.write(line);
    if (sinks !== undefined) {
      if (consoleOk && atLeast('INFO')) appendFileSync(sinks.console, line);
      appendFileSync(sinks.debug, line);
    }
  }) as Logger25;
  log.attachFiles = (outputDirHost: string) => {
    if (rank !== 0) return;
    sinks = { console: posix.join(outputDirHost, 'console.log'), debug: posix.join(outputDirHost, 'debug.log') };
    writeFileSync(sinks.console, '');
    writeFileSync(sinks.debug, '');
  };
  return log;
}
