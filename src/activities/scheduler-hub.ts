import { findGpuJobs, listDownHosts, markHostReachable, recordHostReadiness, runSchedulingPass, type QueuePlaces } from '../db/queries/gpu-queue.js';
import type { GpuJob } from '../db/schema.js';
import { runWithAbortSignal } from '../gpu/abort-scope.js';
import { diagnoseHost } from '../gpu/doctor/index.js';
import { schedulingBlocks } from '../gpu/doctor/readiness.js';
import type { ActivityDeps } from './deps.js';

interface Waiter { onUpdate(row: GpuJob, place: QueuePlaces[string] | undefined): void; settle(row: GpuJob | undefined): void }

/** How often a process with waiting jobs runs a pass when nothing woke it (grants made by other processes, un-pauses). */
const tickMs = 500;
const probeEveryMs = 5_000;
const readinessEveryMsDefault = 30_000;

/**
 * One per worker process: while any of its activities waits for a slot it runs a scheduling pass and reads all of
 * their queue rows in one query per tick (not one per waiter), at once when a slot frees in this process, else
 * every half second; it also probes hosts marked unreachable, so they take work again once they answer, and runs
 * the fast readiness checks of every host now and then, so a host that is not ready (a missing image, Docker
 * down, a full disk) takes none of the work it would fail, and takes it again once it is fixed.
 */
export function createSchedulerHub(deps: ActivityDeps) {
  const waiters = new Map<string, Set<Waiter>>();
  const hostDevices = new Map([...deps.hosts].map(([name, host]) => [name, host.config.gpus]));
  let looping = false;
  let wakeUp: (() => void) | null = null;
  let woken = false;
  let probedAt = 0;
  let checkedAt = 0;
  let checking = false;
  const readinessEveryMs = deps.readinessEveryMs ?? readinessEveryMsDefault;

  async function loop(): Promise<void> {
    looping = true;
    try {
      while (waiters.size > 0) {
        woken = false;
        const places = await runSchedulingPass(deps.db, hostDevices).then((r) => r.places, () => ({} as QueuePlaces));
        // Only the waiters the query asked about: one that arrives while it runs is not in its answer, which must not
        // read as "its job left the queue" (a retried wait after a worker crash failed its run that way).
        const asked = [...waiters].map(([jobKey, set]) => [jobKey, [...set]] as const);
        const rows = await findGpuJobs(deps.db, asked.map(([jobKey]) => jobKey)).catch(() => null);
        if (rows) {
          const byKey = new Map(rows.map((row) => [row.jobKey, row]));
          for (const [jobKey, set] of asked) {
            const row = byKey.get(jobKey);
            for (const waiter of set) {
              if (!waiters.get(jobKey)?.has(waiter)) continue;
              if (!row || row.host) waiter.settle(row);
              else waiter.onUpdate(row, places[jobKey]);
            }
          }
        }
        if (Date.now() - probedAt > probeEveryMs) {
          probedAt = Date.now();
          void probeDownHosts();
        }
        if (!checking && Date.now() - checkedAt > readinessEveryMs) {
          checkedAt = Date.now();
          checking = true;
          void checkReadiness().finally(() => { checking = false; });
        }
        if (waiters.size === 0 || woken) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, tickMs);
          wakeUp = () => { clearTimeout(timer); resolve(); };
        });
        wakeUp = null;
      }
    } finally {
      looping = false;
    }
  }

  async function probeDownHosts(): Promise<void> {
    const down = await listDownHosts(deps.db).catch(() => [] as string[]);
    for (const name of down) {
      const host = deps.hosts.get(name);
      if (!host) continue;
      const ok = await host.transport.exec(['true'], { timeoutMs: 5_000 }).then(() => true, () => false);
      if (ok) {
        await markHostReachable(deps.db, name).catch(() => undefined);
        wake();
      }
    }
  }

  async function checkReadiness(): Promise<void> {
    await Promise.all([...deps.hosts.values()].map(async (host) => {
      const report = await diagnoseHost(host.config, host.transport, { fast: true }).catch(() => null);
      if (!report) return;
      const changed = await recordHostReadiness(deps.db, host.config.name, schedulingBlocks(host.config, report)).catch(() => false);
      if (changed) wake();
    }));
  }

  function wake(): void {
    woken = true;
    wakeUp?.();
  }

  return {
    wake,
    /** Resolves with the job's row once it holds a lease (or undefined once it left the queue); `onUpdate` sees each wait. */
    waitForGrant(jobKey: string, onUpdate: Waiter['onUpdate'], signal: AbortSignal): Promise<GpuJob | undefined> {
      return new Promise((resolve, reject) => {
        const set = waiters.get(jobKey) ?? new Set<Waiter>();
        const done = () => {
          set.delete(waiter);
          if (set.size === 0) waiters.delete(jobKey);
          signal.removeEventListener('abort', abort);
        };
        const waiter: Waiter = { onUpdate, settle: (row) => { done(); resolve(row); } };
        const abort = () => { done(); reject(signal.reason ?? new Error('aborted')); };
        if (signal.aborted) return abort();
        signal.addEventListener('abort', abort);
        set.add(waiter);
        waiters.set(jobKey, set);
        // Not in the caller's scope: the loop serves every waiter and must not end with the first one's cancel.
        if (!looping) void runWithAbortSignal(undefined, loop);
        else wake();
      });
    },
  };
}

export type SchedulerHub = ReturnType<typeof createSchedulerHub>;
