import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { describeFlags, describeModelFlags, readFlags } from '../../src/client/cli/model-flags.js';
import { listModelTypes } from '../../src/models/index.js';

describe('flags derived from a schema', () => {
  it('turns every parameter of every model type into a flag with its bounds and default', () => {
    for (const model of listModelTypes()) {
      const flags = describeModelFlags(model);
      expect(flags.length, model.name).toBeGreaterThan(model.name === 'enhance' ? -1 : 0);
      for (const flag of flags) expect(flag.flag).toMatch(/^[a-z][a-z0-9.-]*$/);
    }
    const transfer25 = describeModelFlags(listModelTypes().find((m) => m.name === 'transfer2.5')!);
    expect(transfer25.find((f) => f.flag === 'num-steps')).toMatchObject({ kind: 'integer', help: expect.stringContaining('(default 35)') });
    expect(transfer25.find((f) => f.flag === 'weights.edge')).toMatchObject({ kind: 'number', path: ['weights', 'edge'], help: expect.stringContaining('[0..1]') });
    expect(transfer25.find((f) => f.flag === 'distilled')).toMatchObject({ kind: 'boolean' });
    expect(transfer25.find((f) => f.flag === 'resolution')?.help).toContain('480|512|720|1024|1080');
  });

  it('reads flag values into nested parameters, numbers in plain decimal only', () => {
    const flags = describeFlags(z.object({ weights: z.object({ edge: z.number() }), num_steps: z.number().int(), distilled: z.boolean() }));
    expect(readFlags(flags, { 'weights.edge': '0.5', 'num-steps': '7', distilled: true })).toEqual({ weights: { edge: 0.5 }, num_steps: 7, distilled: true });
    expect(() => readFlags(flags, { 'num-steps': '0x10' })).toThrow(/--num-steps expects a whole number/);
    expect(() => readFlags(flags, { 'weights.edge': '1e-1' })).toThrow(/--weights.edge expects a number/);
  });

  it('gives a run field a flag of its own name (a new field needs no CLI code)', () => {
    const flags = describeFlags(z.object({ priority: z.number().int().min(0).max(9).describe('queue priority') }));
    expect(flags).toEqual([{ flag: 'priority', path: ['priority'], kind: 'integer', help: 'queue priority [0..9]' }]);
  });
});
