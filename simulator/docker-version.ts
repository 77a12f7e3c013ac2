import { flagValue, parseFlags } from './docker-flags.js';
import { renderTemplate } from './go-template.js';
import { readHostDefects } from './host-defects.js';

export const DOCKER_VERSION = '27.3.1';
const API_VERSION = '1.47';

/** `docker version [--format]`: the template sees `.Client` and `.Server` (docker/cli cli/command/system/version.go). */
export function showVersion(_home: string, args: string[]): number {
  const format = flagValue(parseFlags('version', args, { format: { kind: 'value', short: 'f' } }), 'format');
  const data = {
    Client: { Version: DOCKER_VERSION, ApiVersion: API_VERSION, DefaultAPIVersion: API_VERSION, GitCommit: 'ce12230', GoVersion: 'go1.22.7', Os: 'linux', Arch: 'amd64' },
    Server: {
      Platform: { Name: 'Docker Engine - Community' },
      Version: DOCKER_VERSION, APIVersion: API_VERSION, MinAPIVersion: '1.24', GitCommit: '41ca978', GoVersion: 'go1.22.7', Os: 'linux', Arch: 'amd64',
    },
  };
  if (format !== undefined) return print(renderTemplate(format, data));
  return print(`Client:\n Version:           ${DOCKER_VERSION}\n API version:       ${API_VERSION}\n\nServer:\n Engine:\n  Version:          ${DOCKER_VERSION}\n  API version:      ${API_VERSION} (minimum version 1.24)`);
}

/**
 * `docker info [--format]`. The `nvidia` runtime is listed when the NVIDIA Container Toolkit configured it
 * (`nvidia-ctk runtime configure --runtime=docker` writes it into daemon.json); a planted missing toolkit drops it.
 */
export function showInfo(home: string, args: string[]): number {
  const format = flagValue(parseFlags('info', args, { format: { kind: 'value', short: 'f' } }), 'format');
  const runtimeNames = ['io.containerd.runc.v2', ...(readHostDefects(home).nvidiaContainerToolkit === false ? [] : ['nvidia']), 'runc'];
  const data = {
    ServerVersion: DOCKER_VERSION, DockerRootDir: home, DefaultRuntime: 'runc', OperatingSystem: 'Ubuntu 22.04.4 LTS', OSType: 'linux',
    Runtimes: Object.fromEntries(runtimeNames.map((name) => [name, { path: name === 'nvidia' ? 'nvidia-container-runtime' : name }])),
  };
  if (format !== undefined) return print(renderTemplate(format, data));
  return print(`Server Version: ${DOCKER_VERSION}\nRuntimes: ${runtimeNames.join(' ')}\nDefault Runtime: runc\nDocker Root Dir: ${home}`);
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}
