import { parseContainerLines } from '../host-status.js';
import { fail, formatMiB, listSome, ok, warn, type DoctorCheck, type DoctorContext } from './types.js';

/**
 * What earlier work left on the host: our containers (label cosmos.run_id) stuck in `created` with the daemon's
 * State.Error (a start that failed: a GPU the host lacks, no NVIDIA runtime, a missing command), stopped ones, and
 * the bytes under cosmos-jobs and cosmos-cache. Nothing here is removed: `cosmos clean` does that.
 */
export async function checkLeftovers({ host, transport }: DoctorContext): Promise<DoctorCheck[]> {
  const ps = await transport.exec([host.docker, 'ps', '--all', '--filter', 'label=cosmos.run_id', '--format', '{{json .}}'], { timeoutMs: 60_000 });
  const containers = parseContainerLines(ps.stdout.split('\n').filter((line) => line.startsWith('{')).join('\n'));
  const checks: DoctorCheck[] = [];
  const created = containers.filter((c) => c.state === 'created');
  if (created.length > 0) {
    const inspected = await transport.exec([host.docker, 'inspect', '--type', 'container', '--format', '{{.Name}}\t{{json .State.Error}}', ...created.map((c) => c.name)],
      { timeoutMs: 60_000, okExitCodes: [1] });
    const errors = new Map(inspected.stdout.split('\n').filter((line) => line.includes('\t')).map((line) => {
      const [name = '', error = '""'] = line.split('\t');
      return [name.replace(/^\//, ''), JSON.parse(error) as string] as const;
    }));
    for (const c of created) {
      const error = errors.get(c.name) ?? '';
      if (error) checks.push(fail('leftovers', c.name, `stuck in created, it never started: ${error}`, `fix the cause, then remove it: \`docker rm ${c.name}\` (\`cosmos clean\` removes it too)`));
      else checks.push(warn('leftovers', c.name, 'created but not started (a start in progress?)', `if it stays so, \`docker rm ${c.name}\``));
    }
  }
  const stopped = containers.filter((c) => c.state === 'exited' || c.state === 'dead');
  if (stopped.length > 0) {
    checks.push(warn('leftovers', 'stopped containers', `${stopped.length} of ours: ${listSome(stopped.map((c) => c.name), 3)}`,
      '`cosmos clean --dry-run` lists the finished ones it removes with their job folders'));
  }
  const roots = [`${host.remote_dir}/cosmos-jobs`, `${host.remote_dir}/cosmos-cache`];
  const du = await transport.exec(['sh', '-c', 'for d in "$@"; do [ -d "$d" ] && du -sk -- "$d"; done; exit 0', 'sh', ...roots], { timeoutMs: 300_000 });
  const sizes = new Map(du.stdout.split('\n').filter(Boolean).map((line) => {
    const [kib = '0', ...path] = line.split('\t');
    return [path.join('\t'), Number(kib) / 1024] as const;
  }));
  const jobs = await transport.listDir(roots[0]!).catch(() => []);
  const folders = jobs.filter((e) => e.isDirectory && !e.name.startsWith('.')).length;
  checks.push(ok('leftovers', 'job folders', `cosmos-jobs holds ${formatMiB(sizes.get(roots[0]!) ?? 0)} in ${folders} folder(s), cosmos-cache ${formatMiB(sizes.get(roots[1]!) ?? 0)}`));
  return checks;
}
