import { CliError } from './cli-error.js';
import { findContainer, type Container } from './container-state.js';
import { flagValue, parseFlags } from './docker-flags.js';
import { renderTemplate } from './go-template.js';

export function inspectContainers(home: string, args: string[]): number {
  const flags = parseFlags('inspect', args, {
    format: { kind: 'value', short: 'f' },
    type: { kind: 'value' },
    size: { kind: 'bool', short: 's' },
  });
  if (flags.positionals.length === 0) {
    throw new CliError(`"docker inspect" requires at least 1 argument.\nSee 'docker inspect --help'.`, 1);
  }
  const format = flagValue(flags, 'format');
  const found: object[] = [];
  let missing = false;
  for (const reference of flags.positionals) {
    const container = findContainer(home, reference);
    if (container) {
      found.push(describeContainer(container));
    } else {
      missing = true;
      process.stderr.write(`Error: No such object: ${reference}\n`);
    }
  }
  if (format === undefined) {
    process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  } else {
    for (const item of found) process.stdout.write(`${renderTemplate(format, item)}\n`);
  }
  return missing ? 1 : 0;
}

function describeContainer({ config, state }: Container): object {
  const [path = '', ...pathArgs] = [...(config.entrypoint ?? []), ...config.cmd];
  return {
    Id: config.id,
    Created: config.created,
    Path: path,
    Args: pathArgs,
    State: {
      Status: state.status,
      Running: state.status === 'running',
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: state.pid,
      ExitCode: state.exitCode,
      Error: state.error,
      StartedAt: state.startedAt,
      FinishedAt: state.finishedAt,
    },
    Image: `sha256:${config.id.split('').reverse().join('')}`,
    Name: `/${config.name}`,
    RestartCount: 0,
    Driver: 'overlay2',
    Platform: 'linux',
    HostConfig: {
      Binds: config.mounts.map((m) => `${m.source}:${m.destination}${m.readOnly ? ':ro' : ''}`),
      NetworkMode: config.network,
      IpcMode: config.ipcMode,
      ShmSize: config.shmSize,
      AutoRemove: config.autoRemove,
      DeviceRequests:
        config.gpus === null
          ? null
          : [{ Driver: '', Count: 0, DeviceIDs: config.gpuDevices.map(String), Capabilities: [['gpu']], Options: {} }],
    },
    Mounts: config.mounts.map((m) => ({
      Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.readOnly ? 'ro' : '', RW: !m.readOnly,
      Propagation: 'rprivate',
    })),
    Config: {
      Hostname: config.id.slice(0, 12),
      User: config.user,
      Env: config.env,
      Cmd: config.cmd,
      Image: config.image,
      WorkingDir: config.workingDir,
      Entrypoint: config.entrypoint,
      Labels: config.labels,
    },
    NetworkSettings: { Networks: { [config.network]: {} } },
  };
}
