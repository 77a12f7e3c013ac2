import { describe, expect, it } from 'vitest';
import { createTransfer1Tracker } from '../../src/models/transfer1-progress.js';

const createLogProgressTracker = (chunks: number) => createTransfer1Tracker([chunks], false);

const line = (message: string) => `[11-21 05:00:00|INFO|cosmos_transfer1/x.py:1:f] ${message}\n`;

describe('Transfer1 log progress', () => {
  it('advances by chunk and reaches 90% when the video is saved', () => {
    const tracker = createLogProgressTracker(2);
    tracker.feed(line('Start creating base model') + line('Done loading the base model checkpoint.'));
    expect(tracker.current()).toMatchObject({ stage: 'starting' });
    tracker.feed(line('Starting diffusion sampling'));
    expect(tracker.current().stage).toBe('generating');
    expect(tracker.current().progress).toBeCloseTo(0.3);
    tracker.feed(line('Completed diffusion sampling') + line('Starting diffusion sampling'));
    expect(tracker.current().progress).toBeCloseTo(0.7);
    expect(tracker.feed(`${line('Completed diffusion sampling')}${line('Saved video to out/output.mp4')}`).at(-1)).toMatchObject({ item: 0, progress: 0.9, message: 'video saved' });
    expect(tracker.current()).toMatchObject({ progress: 0.9 });
  });

  it('handles lines split across reads and tqdm carriage returns', () => {
    const tracker = createLogProgressTracker(1);
    expect(tracker.feed('[11-21 05:00:00|INFO|x.py:1:f] Starting diff')).toEqual([]);
    expect(tracker.feed('usion sampling\r  0%|          | 0/1\r100%|██████████| 1/1\n')).toHaveLength(1);
  });

  it('gives the same milestones when a log is replayed from the start', () => {
    const log = line('Start creating base model') + line('Starting diffusion sampling') + line('Completed diffusion sampling');
    expect(createLogProgressTracker(1).feed(log)).toEqual(createLogProgressTracker(1).feed(log));
  });

  it('opens the next item of a batch at each "Running batch generation" line', () => {
    const tracker = createTransfer1Tracker([1, 2], true);
    expect(tracker.feed(line('Start creating base model'))).toEqual([]);
    const found = tracker.feed(line('Running batch generation') + line('Saved video to a') + line('Running batch generation') + line('Starting diffusion sampling'));
    expect(found.map((m) => [m.item, m.message])).toEqual([[0, 'model loaded, item started'], [0, 'video saved'], [1, 'model loaded, item started'], [1, 'chunk 1/2: sampling']]);
    expect(tracker.currentItem()).toBe(1);
  });
});
