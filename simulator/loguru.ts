export type LogLevel = 'DEBUG' | 'INFO' | 'SUCCESS' | 'WARNING' | 'ERROR' | 'CRITICAL';

const LEVELS: LogLevel[] = ['DEBUG', 'INFO', 'SUCCESS', 'WARNING', 'ERROR', 'CRITICAL'];

export type Logger = (level: LogLevel, where: string, message: string) => void;

/**
 * Cosmos's loguru format on stdout: `[MM-DD HH:mm:ss|LEVEL|path.py:LINE:function] message`. Only rank 0 logs;
 * the threshold comes from LOGURU_LEVEL like the real one.
 */
export function createLogger(rank: number): Logger {
  const threshold = LEVELS.indexOf((process.env.LOGURU_LEVEL ?? 'INFO') as LogLevel);
  return (level, where, message) => {
    if (rank !== 0 || LEVELS.indexOf(level) < Math.max(threshold, 0)) return;
    process.stdout.write(`[${timestamp(new Date())}|${level}|${where}] ${message}\n`);
  };
}

function timestamp(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(now.getMonth() + 1)}-${two(now.getDate())} ${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
}
