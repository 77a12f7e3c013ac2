import { quoteCommand } from '../shell-quote.js';
import { anyExitCode, fail, lastLine, listSome, ok, type DoctorCheck, type DoctorContext, type ServedModel } from './types.js';

/**
 * The NVIDIA runtime for the configured GPUs: `docker run --rm --gpus "device=<gpus>" <image> nvidia-smi -L`, run
 * as jobs are (the model's checkout at /workspace, the host's docker_args) and never pulling. Inside, nvidia-smi
 * sees only the devices given, numbered from 0, each with its host UUID; they must be exactly the configured ones.
 * The errors are the daemon's: no toolkit (`could not select device driver "" with capabilities: [[gpu]]`, or
 * `unknown or invalid runtime name: nvidia` with --runtime), a device the host lacks (the hook's `unknown device`).
 */
export async function checkNvidiaRuntime(context: DoctorContext, present: Set<string>): Promise<DoctorCheck[]> {
  const { host, transport, gpus } = context;
  const probe: ServedModel | undefined = context.served.find((s) => present.has(s.settings.image));
  if (!probe) return [];
  const image = probe.settings.image;
  const devices = host.gpus.join(',');
  const argv = [
    host.docker, 'run', '--rm', '--pull=never', '--gpus', `"device=${devices}"`,
    '-v', `${probe.settings.workspace}:/workspace`, '-w', '/workspace', ...host.docker_args, image, 'nvidia-smi', '-L',
  ];
  const result = await transport.exec(argv, { timeoutMs: 180_000, okExitCodes: anyExitCode });
  const subject = `GPUs ${devices}`;
  if (result.exitCode !== 0) {
    const why = lastLine(result.stderr) || lastLine(result.stdout) || `exit code ${result.exitCode}`;
    return [fail('nvidia-runtime', subject, `a container with --gpus "device=${devices}" did not start: ${why}`, runtimeHint(why, host.gpus, quoteCommand(argv)))];
  }
  const seen = [...result.stdout.matchAll(/^GPU (\d+): (.+?) \(UUID: (GPU-[0-9a-fA-F-]+)\)/gm)].map((m) => ({ name: m[2]!, uuid: m[3]! }));
  const wanted = host.gpus.map((index) => gpus?.find((g) => g.index === index)?.uuid).filter((uuid): uuid is string => uuid !== undefined);
  const missing = wanted.filter((uuid) => !seen.some((s) => s.uuid === uuid));
  if (seen.length !== host.gpus.length || missing.length > 0) {
    return [fail('nvidia-runtime', subject, `the container saw ${seen.length} GPU(s) (${listSome(seen.map((s) => s.uuid))}), configured ${host.gpus.length}`,
      'the container must see exactly the configured GPUs: check `nvidia-smi -L` on the host against `gpus` in cosmos.toml, and NVIDIA_VISIBLE_DEVICES in the image')];
  }
  return [ok('nvidia-runtime', subject, `${seen.length} GPU(s) visible in a ${image} container (${[...new Set(seen.map((s) => s.name))].join(', ')})`)];
}

function runtimeHint(why: string, configured: number[], command: string): string {
  if (/could not select device driver|unknown or invalid runtime name: nvidia/i.test(why)) {
    return 'install the NVIDIA Container Toolkit and register it with Docker: `sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker`';
  }
  if (/unknown device|invalid device/i.test(why)) {
    return `a GPU in \`gpus = [${configured.join(', ')}]\` does not exist on the host: \`nvidia-smi -L\` lists the indexes; fix \`gpus\` in cosmos.toml`;
  }
  if (/No such image/i.test(why)) return 'the image went away meanwhile: build or load it again';
  if (/driver|NVML|nvidia-container-cli/i.test(why)) {
    return 'the NVIDIA driver does not answer: `nvidia-smi` on the host must work (after a driver update, reboot); check the toolkit with `nvidia-ctk --version`';
  }
  return `run it by hand on the host and fix what it says: ${command}`;
}
