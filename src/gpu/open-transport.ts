import type { GpuHostConfig } from '../config.js';
import { createLocalTransport } from './local-transport.js';
import type { GpuHostTransport } from './transport.js';

/** The transport a host's config asks for; ssh2 is loaded only when an SSH host is used. */
export async function openHostTransport(host: GpuHostConfig): Promise<GpuHostTransport> {
  if (host.transport === 'local') return createLocalTransport(host.name);
  const { createSshTransport } = await import('./ssh-transport.js');
  return createSshTransport({
    name: host.name, host: host.host!, port: host.port, user: host.user!, privateKeyPath: host.key_path!,
    ...(host.host_key_fingerprint ? { hostKeyFingerprint: host.host_key_fingerprint } : {}),
    ...(host.known_hosts ? { knownHostsPath: host.known_hosts } : {}),
  });
}
