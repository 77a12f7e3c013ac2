import { userInfo } from 'node:os';
import type { GpuHostConfig } from '../../config.js';
import { hostServes, hostSettingsFor, listModelTypes } from '../../models/index.js';
import { listOurContainers } from '../gpu-allocation.js';
import { HostUnreachableError, RemoteCommandError } from '../remote-command-error.js';
import type { GpuHostTransport } from '../transport.js';
import { checkCheckpoints } from './checkpoints.js';
import { checkDocker, checkImages } from './docker-daemon.js';
import { checkGpus, readGpus } from './gpus.js';
import { checkHfCache } from './hf-cache.js';
import { checkHostResources, checkWrite } from './host-resources.js';
import { checkLeftovers } from './leftovers.js';
import { checkNvidiaRuntime } from './nvidia-runtime.js';
import { fail, type DoctorCheck, type DoctorContext } from './types.js';

export type { DoctorCheck, Verdict } from './types.js';

export interface HostDoctorReport {
  host: string;
  /** No check failed (warnings do not make a host unready). */
  ready: boolean;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  /** Also compare checkpoint MD5s (reads every file: minutes on a real host). */
  deep?: boolean;
  /**
   * Only the checks that read (a few quick commands): no container is run, nothing is written, no folder is
   * measured. What the worker runs at start and `cosmos status` shows as readiness.
   */
  fast?: boolean;
}

/**
 * `cosmos doctor` for one host, as the worker's user over the worker's transport: each check is one or a few remote
 * commands and yields lines with a verdict and a hint. Docker-dependent checks run only when docker answers; a host
 * that cannot be reached at all is one failed line.
 */
export async function diagnoseHost(host: GpuHostConfig, transport: GpuHostTransport, options: DoctorOptions = {}): Promise<HostDoctorReport> {
  const context: DoctorContext = {
    host, transport, user: host.transport === 'ssh' ? host.user ?? '' : userInfo().username, deep: (options.deep ?? false) && !options.fast,
    served: listModelTypes().filter((m) => hostServes(host, m.name)).map((model) => ({ model, settings: hostSettingsFor(host, model.name) })),
    gpus: null, ours: null,
  };
  const checks: DoctorCheck[] = [];
  const step = async (name: string, run: () => Promise<DoctorCheck | DoctorCheck[] | null>): Promise<DoctorCheck[]> => {
    try {
      const result = await run();
      return result ? (Array.isArray(result) ? result : [result]) : [];
    } catch (error) {
      return [failedCheck(name, error)];
    }
  };
  try {
    // The first command also opens the connection; then the checks run side by side, each line in its place.
    const docker = await step('docker', () => checkDocker(context));
    checks.push(...docker);
    const dockerOk = docker[0]?.verdict === 'ok';
    const full = !options.fast;
    const [gpuRead, images, ...independent] = await Promise.all([
      step('gpus', async () => {
        const [{ gpus, check }, ours] = await Promise.all([readGpus(context), dockerOk ? listOurContainers(transport, host.docker) : null]);
        context.gpus = gpus;
        context.ours = ours;
        return check;
      }),
      dockerOk ? checkImages(context).catch((error: unknown) => ({ checks: [failedCheck('image', error)], present: new Set<string>() })) : null,
      step('checkpoints', () => checkCheckpoints(context)),
      step('hf-cache', () => checkHfCache(context)),
      step('host-memory', () => checkHostResources(context)),
      full ? step('write', () => checkWrite(context)) : [],
      dockerOk && full ? step('leftovers', () => checkLeftovers(context)) : [],
    ]);
    // These read what the first wave found: the images present, the GPUs' UUIDs and our containers.
    const [runtime, gpus] = await Promise.all([
      images && full ? step('nvidia-runtime', () => checkNvidiaRuntime(context, images.present)) : [],
      step('gpus', async () => (context.gpus ? checkGpus(context, context.gpus) : null)),
    ]);
    checks.push(...(images?.checks ?? []), ...runtime, ...gpuRead, ...gpus, ...independent.flat());
  } catch (error) {
    if (!(error instanceof HostUnreachableError)) throw error;
    checks.push(fail('ssh', null, `cannot reach the host: ${error.message}`, hostUnreachableHint(host)));
  }
  return { host: host.name, ready: checks.every((c) => c.verdict !== 'fail'), checks };
}

/** A check that could not run is a failed line naming the command; a host that went away ends the report. */
function failedCheck(name: string, error: unknown): DoctorCheck {
  if (error instanceof HostUnreachableError) throw error;
  const message = error instanceof RemoteCommandError ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
  return fail(name, null, `the check itself failed: ${message}`, 'run the command it names by hand on the host');
}

function hostUnreachableHint(host: GpuHostConfig): string {
  if (host.transport !== 'ssh') return 'the worker runs on the GPU box itself (transport = "local"): check the paths in cosmos.toml';
  return `check host, port, user, key_path and the host key in cosmos.toml; \`ssh -i ${host.key_path} -p ${host.port} ${host.user}@${host.host} true\` must work from the worker's machine`;
}
