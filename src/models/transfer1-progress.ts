import { createLineSplitter } from './log-lines.js';
import type { ItemMilestone, ProgressTracker } from './model-type.js';

type Milestone = Omit<ItemMilestone, 'item'>;

/**
 * One item's progress from the Cosmos-Transfer1 log. Cosmos prints no per-step progress, only per-chunk
 * `Starting/Completed diffusion sampling` lines (world_generation_pipeline.py), so progress advances by chunk.
 */
function createItemTracker(totalChunks: number) {
  let started = 0;
  let completed = 0;
  const generating = () => 0.1 + (0.8 * (completed + (started > completed ? 0.5 : 0))) / Math.max(totalChunks, started, 1);
  // A multi-control job builds the base model once more per control (model_ctrl.py build_model per ctrl net): the
  // model is loading from the first of these lines, and the milestones are each said once.
  let loading = false;
  let loaded = false;
  return (line: string): Milestone | null => {
    if (line.includes('Start creating base model')) {
      if (loading) return null;
      loading = true;
      return { stage: 'starting', progress: 0.05, message: 'loading model' };
    }
    if (line.includes('Done loading the base model checkpoint')) {
      if (loaded) return null;
      loaded = true;
      return { stage: 'starting', progress: 0.08, message: 'model loaded' };
    }
    if (line.includes('Starting diffusion sampling')) {
      started += 1;
      return { stage: 'generating', progress: generating(), message: `chunk ${started}/${totalChunks}: sampling` };
    }
    if (line.includes('Completed diffusion sampling')) {
      completed += 1;
      return { stage: 'generating', progress: generating(), message: `chunk ${completed}/${totalChunks}: done` };
    }
    if (line.includes('Saved video to')) return { stage: 'generating', progress: 0.9, message: 'video saved' };
    return null;
  };
}

/**
 * Progress of each item of a Transfer1 job. A batch (`--batch_input_path`, batch_size 1) logs `Running batch
 * generation` as it opens the next item; a single job is item 0 from the start. Fed incrementally; feeding the
 * same log again from the start yields the same milestones.
 */
export function createTransfer1Tracker(chunksPerItem: number[], batched: boolean): ProgressTracker {
  let item = batched ? -1 : 0;
  let onLine = createItemTracker(chunksPerItem[0] ?? 1);
  const split = createLineSplitter();
  let latest: Milestone = { stage: 'starting', progress: 0.05, message: 'container started' };

  function read(line: string): ItemMilestone[] {
    if (batched && line.includes('Running batch generation')) {
      item += 1;
      onLine = createItemTracker(chunksPerItem[item] ?? 1);
      latest = { stage: 'starting', progress: 0.08, message: 'model loaded, item started' };
      return [{ item, ...latest }];
    }
    if (item < 0) return [];
    const found = onLine(line);
    if (!found) return [];
    latest = found;
    return [{ item, ...found }];
  }

  return {
    feed: (text) => split(text).flatMap(read),
    currentItem: () => Math.max(item, 0),
    current: () => ({ stage: latest.stage, progress: latest.progress }),
  };
}
