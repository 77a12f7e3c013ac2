import { fail, lastLine, ok, type DoctorCheck, type DoctorContext } from './types.js';

/**
 * Docker as the worker uses it: the daemon answers `docker version` for the SSH user without sudo. The client's
 * messages are docker/cli's: `permission denied while trying to connect to the Docker daemon socket` (not in the
 * docker group), `Cannot connect to the Docker daemon` (not running).
 */
export async function checkDocker({ host, transport, user }: DoctorContext): Promise<DoctorCheck> {
  const result = await transport.exec([host.docker, 'version', '--format', '{{.Server.Version}}'], { timeoutMs: 30_000, okExitCodes: [1, 126, 127] });
  const version = result.stdout.trim();
  if (result.exitCode === 0 && /^\d+\.\d+/.test(version)) return ok('docker', null, `Docker ${version}, reachable as ${user} without sudo`);
  const why = lastLine(result.stderr) || lastLine(result.stdout) || `exit code ${result.exitCode}`;
  if (result.exitCode === 126 || result.exitCode === 127) {
    return fail('docker', null, `${host.docker} cannot run: ${why}`, `install Docker Engine on the host, or set \`docker = "/path/to/docker"\` for this host in cosmos.toml`);
  }
  if (/permission denied/i.test(why)) {
    return fail('docker', null, `${user} may not use the Docker daemon: ${why}`, `add ${user} to the docker group (\`sudo usermod -aG docker ${user}\`), then open a new session; the worker never uses sudo`);
  }
  if (/cannot connect|is the docker daemon running/i.test(why)) {
    return fail('docker', null, `the Docker daemon is not running: ${why}`, 'start it and enable it at boot: `sudo systemctl enable --now docker`');
  }
  return fail('docker', null, `docker version failed: ${why}`, `run \`${host.docker} version\` as ${user} on the host and fix what it says`);
}

/** Each served model type's image is on the host already: the worker runs it and never pulls (`docker image inspect`). */
export async function checkImages({ host, transport, served }: DoctorContext): Promise<{ checks: DoctorCheck[]; present: Set<string> }> {
  const users = new Map<string, string[]>();
  for (const { model, settings } of served) users.set(settings.image, [...(users.get(settings.image) ?? []), model.name]);
  const present = new Set<string>();
  const checks: DoctorCheck[] = [];
  for (const [image, models] of users) {
    const result = await transport.exec([host.docker, 'image', 'inspect', '--format', '{{.Id}} {{.Created}}', image], { timeoutMs: 30_000, okExitCodes: [1] });
    const [id = '', created = ''] = result.stdout.trim().split(' ');
    if (result.exitCode === 0 && id) {
      present.add(image);
      checks.push(ok('image', image, `present (${id.slice(0, 19)}, built ${created.slice(0, 10)}) for ${models.join(', ')}`));
      continue;
    }
    const why = lastLine(result.stderr) || 'not found';
    const workspace = served.find((s) => s.settings.image === image)!.settings.workspace;
    checks.push(fail('image', image, `${why} (needed by ${models.join(', ')})`,
      `build it on the host (\`docker build -t ${image} .\` in the model's checkout, e.g. ${workspace}) or \`docker load\` it; jobs never pull images`));
  }
  return { checks, present };
}
