import { describe, expect, it } from 'vitest';
import { finishingDelayMs, followDelayMs } from '../../src/activities/container-session.js';

describe('the log follower', () => {
  it('reads the log every 250 ms for the first 5 s of a container, then every 400 ms', () => {
    expect(followDelayMs(1_000, 2_000)).toBe(250);
    expect(followDelayMs(60_000, 2_000)).toBe(400);
  });

  it('reads every 50 ms once the log says the last outputs are saved, so the exit frees the GPU at once', () => {
    expect(followDelayMs(1_000, 2_000, true)).toBe(50);
    expect(followDelayMs(3_600_000, 2_000, true)).toBe(50);
  });

  it('after the completion line inspects again 25 ms later, then backs off to 800 ms for an exit that takes its time', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(finishingDelayMs)).toEqual([25, 50, 100, 200, 400, 800, 800, 800]);
  });

  it('never waits longer than the poll interval', () => {
    expect(followDelayMs(60_000, 50)).toBe(50);
    expect(followDelayMs(60_000, 50, true)).toBe(50);
  });
});
