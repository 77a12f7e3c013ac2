import { CONTAINER_FS_ENV, type ContainerFs } from './container-fs.js';

/** The process CWD as the container sees it: docker's `-w` (the simulator runs the process in its host path). */
export function containerCwd(): string {
  const text = process.env[CONTAINER_FS_ENV];
  return text ? (JSON.parse(text) as ContainerFs).workdir : process.cwd();
}
