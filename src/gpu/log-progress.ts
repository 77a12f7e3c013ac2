export interface LogMilestone { stage: 'starting' | 'generating'; progress: number; message: string }

/**
 * Turns the Cosmos log into stage, progress and milestones. Cosmos prints no per-step progress, only
 * per-chunk `Starting/Completed diffusion sampling` lines, so progress advances by chunk.
 * Fed incrementally; feeding the same log again from the start yields the same milestones.
 */
export function createLogProgressTracker(totalChunks: number) {
  let pending = '';
  let started = 0;
  let completed = 0;
  let latest: LogMilestone = { stage: 'starting', progress: 0.05, message: 'container started' };

  const generating = () => 0.1 + (0.8 * (completed + (started > completed ? 0.5 : 0))) / Math.max(totalChunks, started, 1);

  function onLine(line: string): LogMilestone | null {
    if (line.includes('Start creating base model')) return { stage: 'starting', progress: 0.05, message: 'loading model' };
    if (line.includes('Done loading the base model checkpoint')) return { stage: 'starting', progress: 0.08, message: 'model loaded' };
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
  }

  return {
    feed(text: string): LogMilestone[] {
      const lines = (pending + text).split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      const found: LogMilestone[] = [];
      for (const line of lines) {
        const milestone = onLine(line);
        if (milestone) {
          latest = milestone;
          found.push(milestone);
        }
      }
      return found;
    },
    current: () => latest,
  };
}
