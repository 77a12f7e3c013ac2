import type { GpuHostConfig } from '../../config.js';
import type { HostNotReady } from '../../db/schema.js';
import { hostServes, hostSettingsFor, listModelTypes } from '../../models/index.js';
import { openHostTransport } from '../open-transport.js';
import { remoteDirUnreadable } from './host-resources.js';
import { diagnoseHost, type HostDoctorReport } from './index.js';

/** A host's readiness from the fast checks: whether none failed, and one line per check that did. */
export interface HostReadiness { ready: boolean; problems: string[] }

export function readinessOf(report: HostDoctorReport): HostReadiness {
  const problems = report.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.check}${c.subject ? ` ${c.subject}` : ''}: ${c.detail}`);
  return { ready: problems.length === 0, problems };
}

/**
 * What of a report stops work on the host, for the scheduler: failures every job of a model type (or every job)
 * would hit — Docker, too little disk under remote_dir, a missing image, checkpoint files missing from the host's
 * folder. The others do not hold work back: a GPU with a foreign process is left out by the lease check, an
 * unreadable nvidia-smi does not block there either, a job fetches what the Hugging Face cache lacks itself (a
 * warning, not a failure), and the first upload creates a remote_dir that is not there yet. Null when nothing stops
 * work, and for a host that did not answer (unreachable is the scheduler's own mark).
 */
export function schedulingBlocks(host: GpuHostConfig, report: HostDoctorReport): HostNotReady | null {
  const failed = report.checks.filter((c) => c.verdict === 'fail');
  if (failed.some((c) => c.check === 'ssh')) return null;
  const line = (c: HostDoctorReport['checks'][number]) => `${c.check}${c.subject ? ` ${c.subject}` : ''}: ${c.detail}`;
  const whole = failed.filter((c) => c.check === 'docker' || (c.check === 'disk' && !c.detail.startsWith(remoteDirUnreadable))).map(line);
  const models: Record<string, string> = {};
  const add = (model: string, text: string) => { models[model] = models[model] ? `${models[model]}; ${text}` : text; };
  for (const c of failed) {
    // A check that could not run has no subject; only a listing of missing files holds the model back.
    if (c.check === 'checkpoints' && c.subject && hostServes(host, c.subject)) add(c.subject, line(c));
    if (c.check === 'image' && c.subject) {
      for (const model of listModelTypes()) {
        if (hostServes(host, model.name) && hostSettingsFor(host, model.name).image === c.subject) add(model.name, line(c));
      }
    }
  }
  if (whole.length === 0 && Object.keys(models).length === 0) return null;
  return { host: whole.length > 0 ? whole.join('; ') : null, models };
}

/**
 * What the worker does at start: the fast checks of every host, each on a transport of its own, logged (a host
 * that is not ready names what failed and points at `cosmos doctor`) and handed to `record` (the scheduler sends no
 * work a host is not ready for).
 */
export async function logHostReadiness(hosts: readonly GpuHostConfig[], log: (line: string) => void,
  record: (host: GpuHostConfig, report: HostDoctorReport) => Promise<void> = async () => {}): Promise<void> {
  await Promise.all(hosts.map(async (host) => {
    const transport = await openHostTransport(host);
    try {
      const report = await diagnoseHost(host, transport, { fast: true });
      const readiness = readinessOf(report);
      if (readiness.ready) log(`host ${host.name} passed the start checks`);
      else log(`host ${host.name} is not ready (\`cosmos doctor --host ${host.name}\` says what to do): ${readiness.problems.join('; ')}`);
      await record(host, report);
    } catch (error) {
      log(`host ${host.name}: the start checks could not run: ${(error as Error).message}`);
    } finally {
      await transport.close().catch(() => undefined);
    }
  }));
}
