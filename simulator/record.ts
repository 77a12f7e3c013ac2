import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface StartRecord {
  id: string;
  name: string;
  labels: Record<string, string>;
  startedAt: string;
  pid: number;
  /** The `docker run` arguments that started the container. */
  argv: string[];
}

function recordPath(home: string): string {
  return join(home, 'record.jsonl');
}

export function appendStartRecord(home: string, record: StartRecord): void {
  appendFileSync(recordPath(home), `${JSON.stringify(record)}\n`);
}

export async function readStartRecord(home: string): Promise<StartRecord[]> {
  let text: string;
  try {
    text = await readFile(recordPath(home), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as StartRecord);
}
