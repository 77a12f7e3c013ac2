import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';

export interface StackEndpoints { databaseUrl: string; temporalAddress: string; temporalUiUrl: string | null }

const stackFile = (dataDir: string) => join(dataDir, 'stack.json');

/** The embedded stack (demo, `cosmos dev`) leaves its addresses here so the CLI and workers can find it. */
export function writeStackFile(dataDir: string, endpoints: StackEndpoints): void {
  writeFileSync(stackFile(dataDir), `${JSON.stringify({ ...endpoints, pid: process.pid }, null, 2)}\n`);
}

/** Configured addresses win; otherwise those of a running embedded stack in the data directory. */
export function resolveEndpoints(config: Config): StackEndpoints {
  const stack = readStack(config.dataDir);
  const databaseUrl = config.database.url ?? stack?.databaseUrl;
  const temporalAddress = config.temporal.address ?? stack?.temporalAddress;
  if (!databaseUrl || !temporalAddress) {
    const missing = [!databaseUrl && 'DATABASE_URL (or [database] url)', !temporalAddress && 'TEMPORAL_ADDRESS (or [temporal] address)']
      .filter(Boolean).join(' and ');
    throw new Error(`no running stack found in ${config.dataDir}: start one with \`cosmos dev\`, or set ${missing}`);
  }
  return { databaseUrl, temporalAddress, temporalUiUrl: config.temporal.ui_url ?? stack?.temporalUiUrl ?? null };
}

function readStack(dataDir: string): StackEndpoints | null {
  const file = stackFile(dataDir);
  if (!existsSync(file)) return null;
  const stack = JSON.parse(readFileSync(file, 'utf8')) as StackEndpoints & { pid: number };
  return isAlive(stack.pid) ? stack : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
