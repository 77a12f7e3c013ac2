import { describe, expect, it } from 'vitest';
import { foreignBusyGpus, GpuReadingError, neededMiB, parseGpuOccupancy } from '../../src/gpu/gpu-occupancy.js';

const uuid = (i: number) => `GPU-0000000${i}-aaaa-bbbb-cccc-dddddddddddd`;
const output = (gpus: string[], apps: string[], noise = '') =>
  `${noise}@@cosmos-gpus@@\n${gpus.join('\n')}\n@@cosmos-compute-apps@@\n${apps.map((a) => `${a}\n`).join('')}`;

describe('nvidia-smi GPUs and compute processes read in one command', () => {
  it('joins processes to GPUs by UUID, keeps names with commas, reads [N/A] as unknown and ignores lines before the marker', () => {
    const gpus = parseGpuOccupancy(output(
      [`0, ${uuid(0)}, 30001, 81559, NVIDIA H100 80GB HBM3`, `1, ${uuid(1)}, [N/A], [N/A], NVIDIA GH200, 96GB`],
      [`${uuid(0)}, 4242, 30000`, `${uuid(1)}, 77, [N/A]`, `${uuid(9)}, 5, 10`],
      'Welcome to the GPU box\n0, looks, like, a, reading\n',
    ));
    expect(gpus).toEqual([
      { index: 0, uuid: uuid(0), name: 'NVIDIA H100 80GB HBM3', memoryUsedMiB: 30001, memoryTotalMiB: 81559, processes: [{ pid: 4242, usedMemoryMiB: 30000 }] },
      { index: 1, uuid: uuid(1), name: 'NVIDIA GH200, 96GB', memoryUsedMiB: null, memoryTotalMiB: null, processes: [{ pid: 77, usedMemoryMiB: null }] },
    ]);
    expect(() => parseGpuOccupancy('No devices were found\n')).toThrow(GpuReadingError);
  });

  it('blocks a device with a process that is not ours or too little free memory, never one ours hold or one it cannot read', () => {
    const gpus = parseGpuOccupancy(output(
      [`0, ${uuid(0)}, 30001, 81559, H100`, `1, ${uuid(1)}, 75000, 81559, H100`, `2, ${uuid(2)}, 20000, 81559, H100`, `3, ${uuid(3)}, [N/A], 81559, GH200`, `4, ${uuid(4)}, 1, 81559, H100`],
      [`${uuid(0)}, 4242, 30000`, `${uuid(1)}, 99, 74999`],
    ));
    const blocked = foreignBusyGpus(gpus, new Set([1]), 70 * 1024);
    expect([...blocked.entries()]).toEqual([
      [0, 'a compute process that is not ours (pid 4242 30000 MiB)'],
      [2, '61559 MiB free, the model needs 71680 MiB'],
    ]);
    // A share of the card (vLLM's gpu_memory_utilization): 98 % of 81 559 MiB is 79 928.
    expect(neededMiB({ fractionOfTotal: 0.98 }, 81559)).toBe(79928);
    expect([...foreignBusyGpus(gpus, new Set(), { fractionOfTotal: 0.98 }).keys()]).toEqual([0, 1, 2]);
    expect([...foreignBusyGpus(gpus, new Set()).keys()]).toEqual([0, 1]);
  });
});
