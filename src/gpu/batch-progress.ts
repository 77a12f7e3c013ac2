import { createLogProgressTracker, type LogMilestone } from './log-progress.js';

export interface BatchMilestone extends LogMilestone { item: number }

/**
 * Progress of each item of a batch run from the shared log: `Running batch generation` opens the next item
 * (batch_size 1), `Saved video to` closes it. Within an item, progress advances by chunk as for a single run.
 */
export function createBatchProgressTracker(chunksPerItem: number[]) {
  let item = -1;
  let tracker = createLogProgressTracker(1);
  let pending = '';
  const completed = new Set<number>();

  function onLine(line: string): BatchMilestone[] {
    if (line.includes('Running batch generation')) {
      item += 1;
      tracker = createLogProgressTracker(chunksPerItem[item] ?? 1);
      return [{ item, stage: 'starting', progress: 0.08, message: 'model loaded, item started' }];
    }
    if (item < 0) return [];
    const found = tracker.feed(`${line}\n`).map((m) => ({ ...m, item }));
    if (line.includes('Saved video to')) completed.add(item);
    return found;
  }

  return {
    feed(text: string): BatchMilestone[] {
      const lines = (pending + text).split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      return lines.flatMap(onLine);
    },
    currentItem: () => item,
    completedItems: () => [...completed].sort((a, b) => a - b),
    current: () => tracker.current(),
  };
}
