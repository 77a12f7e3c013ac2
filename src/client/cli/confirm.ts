import { createInterface } from 'node:readline/promises';
import { UsageError } from './usage-error.js';

/** Asks on a terminal; a script (stdin not a TTY) must say --yes, so nothing is deleted by accident. */
export async function confirmOrRefuse(question: string, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw new UsageError('stdin is not a terminal, so nothing was deleted; pass --yes to confirm');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
