import { blockDevice, markHostReachable, markHostUnreachable } from '../db/queries/gpu-queue.js';
import { containerNameFor } from '../gpu/docker.js';
import { busyGpusOf, listOurContainers } from '../gpu/gpu-allocation.js';
import { foreignBusyGpus, GpuReadingError, readGpuOccupancy } from '../gpu/gpu-occupancy.js';
import { HostUnreachableError, RemoteCommandError } from '../gpu/remote-command-error.js';
import { findModelType } from '../models/index.js';
import { type ActivityDeps } from './deps.js';

/** A device found busy with work that is not ours is left out of scheduling for this long, then looked at again. */
const blockedForMs = 10_000;

/**
 * Null when the leased devices are free on the host as far as it can tell, else why not (recorded, so the next
 * passes leave those devices or the host alone for a while). nvidia-smi that cannot be read does not block.
 */
export async function checkLease(deps: ActivityDeps, request: { jobKey: string; modelType: string }, hostName: string, devices: number[], beat?: () => void): Promise<string | null> {
  const host = deps.hosts.get(hostName);
  if (!host) return `${hostName} is not configured on this worker`;
  const { config, transport } = host;
  const ownName = containerNameFor(request.modelType, request.jobKey);
  try {
    // A host command may take seconds (a busy host): heartbeat first, or the attempt times out here and a retry runs
    // beside it with the same lease. Both readings at once: the listing of our containers and nvidia-smi's.
    beat?.();
    const [containers, occupancy] = await Promise.all([
      listOurContainers(transport, config.docker),
      readGpuOccupancy(transport, config.nvidia_smi).catch((error: unknown) => error as Error),
    ]);
    await markHostReachable(deps.db, hostName);
    // The job's own container is there: an attempt of this wait that timed out already handed the lease on and it is
    // in use; a late attempt must not give it back.
    if (containers.some((c) => c.name === ownName)) return null;
    const strangers = containers.filter((c) => c.state === 'running' && c.name !== ownName && c.devices.some((d) => devices.includes(d)));
    for (const c of strangers) {
      for (const device of c.devices.filter((d) => devices.includes(d))) {
        await blockDevice(deps.db, hostName, device, Date.now() + blockedForMs, `held by our container ${c.name}, which no lease covers`);
      }
    }
    if (strangers.length > 0) return `${hostName}: GPU ${devices.join(', ')} still in use by ${strangers.map((c) => c.name).join(', ')}`;
    if (occupancy instanceof HostUnreachableError) throw occupancy;
    // nvidia-smi that cannot be read (or answers in an unknown shape) does not block.
    if (occupancy instanceof Error && !(occupancy instanceof RemoteCommandError || occupancy instanceof GpuReadingError)) throw occupancy;
    const blocked = occupancy instanceof Error ? new Map<number, string>()
      : foreignBusyGpus(occupancy, busyGpusOf(containers), findModelType(request.modelType).minFreeGpuMemoryMiB);
    const hit = devices.filter((d) => blocked.has(d));
    for (const device of hit) await blockDevice(deps.db, hostName, device, Date.now() + blockedForMs, blocked.get(device)!);
    return hit.length > 0 ? `${hostName}: ${hit.map((d) => `GPU ${d}: ${blocked.get(d)}`).join('; ')}` : null;
  } catch (error) {
    if (!(error instanceof HostUnreachableError)) throw error;
    await markHostUnreachable(deps.db, hostName, error.message);
    return `${hostName} is unreachable: ${error.message}`;
  }
}
