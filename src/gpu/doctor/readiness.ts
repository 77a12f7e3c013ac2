import type { GpuHostConfig } from '../../config.js';
import { openHostTransport } from '../open-transport.js';
import { diagnoseHost, type HostDoctorReport } from './index.js';

/** A host's readiness from the fast checks: whether none failed, and one line per check that did. */
export interface HostReadiness { ready: boolean; problems: string[] }

export function readinessOf(report: HostDoctorReport): HostReadiness {
  const problems = report.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.check}${c.subject ? ` ${c.subject}` : ''}: ${c.detail}`);
  return { ready: problems.length === 0, problems };
}

/**
 * What the worker does at start: the fast checks of every host, each on a transport of its own, logged (a host
 * that is not ready names what failed and points at `cosmos doctor`). Runs are not held back by it: the GPU
 * choice and the job's own failure say what goes wrong with a run.
 */
export async function logHostReadiness(hosts: readonly GpuHostConfig[], log: (line: string) => void): Promise<void> {
  await Promise.all(hosts.map(async (host) => {
    const transport = await openHostTransport(host);
    try {
      const readiness = readinessOf(await diagnoseHost(host, transport, { fast: true }));
      if (readiness.ready) log(`host ${host.name} passed the start checks`);
      else log(`host ${host.name} is not ready (\`cosmos doctor --host ${host.name}\` says what to do): ${readiness.problems.join('; ')}`);
    } catch (error) {
      log(`host ${host.name}: the start checks could not run: ${(error as Error).message}`);
    } finally {
      await transport.close().catch(() => undefined);
    }
  }));
}
