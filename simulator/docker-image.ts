import { createHash } from 'node:crypto';
import { CliError } from './cli-error.js';
import { flagValue, parseFlags } from './docker-flags.js';
import { renderTemplate } from './go-template.js';
import { familiarImageName, hasImage } from './host-defects.js';

/** `docker image <command>`: only `inspect`, what `cosmos doctor` asks (it never pulls). */
export function imageCommand(home: string, args: string[]): number {
  const [sub, ...rest] = args;
  if (sub === 'inspect') return inspectImages(home, rest);
  throw new CliError(`docker: 'image ${sub ?? ''}' is not a docker command.\nSee 'docker image --help'`, 1);
}

/**
 * Like docker/cli v27.3.1 cli/command/inspect/inspector.go `Inspect`: every found image is printed (a JSON array,
 * `[]` when none; with `--format`, one rendered line each, a bare newline when none), each missing one adds the
 * daemon's `Error response from daemon: No such image: <name:tag>` (daemon/images/image.go `ErrImageDoesNotExist`)
 * to stderr, and any miss exits 1.
 */
function inspectImages(home: string, args: string[]): number {
  const flags = parseFlags('image inspect', args, { format: { kind: 'value', short: 'f' }, platform: { kind: 'value' } });
  if (flags.positionals.length === 0) {
    throw new CliError(`"docker image inspect" requires at least 1 argument.\nSee 'docker image inspect --help'.`, 1);
  }
  const format = flagValue(flags, 'format');
  const found: object[] = [];
  const errors: string[] = [];
  for (const reference of flags.positionals) {
    if (hasImage(home, reference)) found.push(describeImage(reference));
    else errors.push(`Error response from daemon: No such image: ${familiarImageName(reference)}`);
  }
  if (format === undefined) process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  else process.stdout.write(found.length === 0 ? '\n' : found.map((image) => `${renderTemplate(format, image)}\n`).join(''));
  if (errors.length > 0) process.stderr.write(`${errors.join('\n')}\n`);
  return errors.length > 0 ? 1 : 0;
}

/** The fields `docker image inspect` shows, for an image like the cosmos-transfer1 one (WORKDIR /workspace, CMD bash). */
function describeImage(reference: string): object {
  const name = familiarImageName(reference);
  const id = `sha256:${createHash('sha256').update(name).digest('hex')}`;
  return {
    Id: id,
    RepoTags: [name],
    RepoDigests: [],
    Parent: '',
    Created: '2025-10-29T12:00:00.000000000Z',
    DockerVersion: '',
    Author: '',
    Architecture: 'amd64',
    Os: 'linux',
    Size: 24_000_000_000,
    Config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/bash'], WorkingDir: '/workspace', Entrypoint: null, Labels: null },
    RootFS: { Type: 'layers', Layers: [] },
  };
}
