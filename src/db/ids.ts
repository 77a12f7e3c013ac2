import { randomUUID } from 'node:crypto';

const idPattern = /^(ps|rs|bt)_[0-9a-f]{32}$/;

function newId(prefix: 'ps' | 'rs' | 'bt'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

export const newPromptId = () => newId('ps');
export const newRunId = () => newId('rs');
export const newBatchId = () => newId('bt');

export function isEntityId(value: string, prefix?: 'ps' | 'rs' | 'bt'): boolean {
  return idPattern.test(value) && (prefix === undefined || value.startsWith(`${prefix}_`));
}
