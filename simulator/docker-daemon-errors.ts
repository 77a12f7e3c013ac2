import { rmSync } from 'node:fs';
import { CliError } from './cli-error.js';
import { writeState, initialState, type ContainerConfig } from './container-state.js';
import type { RunRequest } from './docker-run-args.js';
import { familiarImageName, hasImage, readHostDefects } from './host-defects.js';
import { containerDir } from './sim-home.js';

/**
 * How `docker run` fails before a container exists, as docker/cli v27.3.1 and moby v27.3.1 do:
 * - `--runtime` the daemon does not know: `unknown or invalid runtime name: <name>` (daemon/runtime_unix.go:221,
 *   checked when the container is created, daemon_unix.go verifyPlatformContainerSettings);
 * - an image the daemon does not hold: with `--pull never` the daemon's `No such image: <name:tag>`
 *   (daemon/images/image.go:35); otherwise the CLI prints `Unable to find image '<name:tag>' locally` and pulls
 *   (cli/command/container/create.go:271), which here always fails as Docker Hub answers for a repository it
 *   does not have. A create error is printed with the run help line (run.go:142 `reportError(..., true)`), exit 125.
 */
export function refuseAtCreate(home: string, request: RunRequest): void {
  const help = "\nSee 'docker run --help'.";
  if (request.runtime !== null && !['runc', 'io.containerd.runc.v2'].includes(request.runtime)
    && !(request.runtime === 'nvidia' && readHostDefects(home).nvidiaContainerToolkit !== false)) {
    throw new CliError(`docker: Error response from daemon: unknown or invalid runtime name: ${request.runtime}.${help}`, 125);
  }
  if (hasImage(home, request.image)) return;
  const name = familiarImageName(request.image);
  if (request.pull === 'never') throw new CliError(`docker: Error response from daemon: No such image: ${name}.${help}`, 125);
  if (request.pull === 'missing') process.stderr.write(`Unable to find image '${name}' locally\n`);
  const repository = name.replace(/:[^:/]+$/, '');
  throw new CliError(
    `docker: Error response from daemon: pull access denied for ${repository}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.${help}`,
    125,
  );
}

/**
 * `--gpus` without the NVIDIA Container Toolkit: the daemon registers its `nvidia` device driver only when
 * `nvidia-container-runtime-hook` is on its PATH (moby v27.3.1 daemon/nvidia_linux.go:32-35), so a GPU request
 * matches no driver: `could not select device driver "" with capabilities: [[gpu]]` (daemon/errors.go:87), raised
 * while the container's spec is made at start.
 */
export function gpuStartError(home: string): string | null {
  return readHostDefects(home).nvidiaContainerToolkit === false ? 'could not select device driver "" with capabilities: [[gpu]]' : null;
}

/**
 * A container created but not started: the daemon records the error as State.Error with exit code 128
 * (`exitUnknown`, daemon/errors.go:124) and leaves it `created`, or removes it when it was `--rm`
 * (daemon/start.go:99-118). The CLI prints `docker: Error response from daemon: <error>.` and exits 127 for a
 * missing file, 126 for a permission error, else 125 (cli/command/container/run.go:207, 308 runStartContainerErr).
 */
export function failStart(home: string, config: ContainerConfig, error: string): never {
  if (config.autoRemove) rmSync(containerDir(home, config.name), { recursive: true, force: true });
  else writeState(home, config.name, { ...initialState(), exitCode: 128, error });
  throw new CliError(`docker: Error response from daemon: ${error.replace(/\.$/, '')}.`, startExitCode(error));
}

export function startExitCode(error: string): number {
  if (/executable file not found|no such file or directory/.test(error)) return 127;
  if (/permission denied|is a directory/.test(error)) return 126;
  return 125;
}
