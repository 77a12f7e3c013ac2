import { flushPythonStdout, pythonPrint } from './python-stdout.js';

export type LogLevel = 'DEBUG' | 'INFO' | 'SUCCESS' | 'WARNING' | 'ERROR' | 'CRITICAL';

const LEVELS: LogLevel[] = ['DEBUG', 'INFO', 'SUCCESS', 'WARNING', 'ERROR', 'CRITICAL'];

/** `rank0Only: false` is `log.critical(..., rank0_only=False)`: every rank prints, prefixed `[RANK r]`. */
export type Logger = (level: LogLevel, where: string, message: string, options?: { rank0Only?: boolean }) => void;

/**
 * Cosmos's loguru sink on stdout (cosmos_transfer1/utils/log.py@5005e82): `[MM-DD HH:mm:ss|LEVEL|path.py:LINE:function]
 * message` (:59, :94), threshold LOGURU_LEVEL (default INFO, :25). Its rank filter (`_rank0_only_filter`, :98-104)
 * asks torch.distributed for the rank (`_get_rank`, :139-148), which is 0 until init_process_group has run: before
 * that every process prints, after it only rank 0 (plus `rank0_only=False` records from every rank). `distRank`
 * answers that rank. The sink writes into sys.stdout and flushes it after every record, so a pending print() goes
 * out first.
 */
export function createLogger(distRank: () => number): Logger {
  const threshold = LEVELS.indexOf((process.env.LOGURU_LEVEL ?? 'INFO') as LogLevel);
  return (level, where, message, options = {}) => {
    if (LEVELS.indexOf(level) < Math.max(threshold, 0)) return;
    const rank0Only = options.rank0Only ?? true;
    const rank = distRank();
    if (rank0Only && rank !== 0) return;
    const text = rank0Only ? message : `[RANK ${rank}]${message}`;
    pythonPrint(`[${timestamp(new Date())}|${level}|${where}] ${text}\n`);
    flushPythonStdout();
  };
}

function timestamp(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(now.getMonth() + 1)}-${two(now.getDate())} ${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
}
