import { quoteCommand } from '../shell-quote.js';
import type { GpuHostTransport } from '../transport.js';
import { fail, lastLine, listSome, ok, warn, type DoctorCheck, type DoctorContext, type ServedModel } from './types.js';

// `$1` is the root; every other argument one path in it: the ones missing (or empty: a broken download) are printed.
const missingFiles = 'root=$1; shift; for p in "$@"; do [ -s "$root/$p" ] || printf "%s\\n" "$p"; done';
// `$1` is a cache's hub/; every other argument `<org>--<name>|<file>` (file may be empty: any file of the repo).
// huggingface_hub keeps a repo as models--<org>--<name>/snapshots/<revision>/<files>.
const missingInHub = 'hub=$1; shift; for e in "$@"; do repo=${e%%|*}; file=${e#*|}; found=; '
  + 'for snap in "$hub/models--$repo/snapshots/"*/; do [ -d "$snap" ] || continue; '
  + 'if [ -n "$file" ]; then [ -s "$snap$file" ] && found=1; else [ -n "$(ls -A "$snap")" ] && found=1; fi; done; '
  + '[ -n "$found" ] || printf "%s\\n" "$e"; done';

/** Of `names` (repo ids, each optionally followed by a file in the repo), those the HF cache at `cache` lacks. */
export async function findMissingInHfCache(transport: GpuHostTransport, cache: string, names: string[]): Promise<string[]> {
  const entries = names.map((name) => {
    const [org = '', repo = '', ...file] = name.split('/');
    return `${org}--${repo}|${file.join('/')}`;
  });
  const { stdout } = await transport.exec(['sh', '-c', missingInHub, 'sh', `${cache}/hub`, ...entries], { timeoutMs: 60_000 });
  const lacking = new Set(stdout.split('\n').filter(Boolean));
  return names.filter((_, i) => lacking.has(entries[i]!));
}

/** What a served model type lists in `checkpoints`, where its own location says (a folder, or an HF cache). */
export async function checkCheckpoints(context: DoctorContext): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const served of context.served) {
    if (served.model.checkpoints.length === 0) continue;
    checks.push(await checkModel(context, served));
  }
  return checks;
}

/** Where a model's `checkpoints` are on a host: its own answer, else the host's folder, else `<workspace>/checkpoints`. */
export function checkpointLocationOf({ model, settings }: ServedModel): { kind: 'folder' | 'hf-cache'; path: string } | null {
  return model.checkpointLocation ? model.checkpointLocation(settings) : { kind: 'folder', path: settings.checkpoints ?? `${settings.workspace}/checkpoints` };
}

async function checkModel(context: DoctorContext, served: ServedModel): Promise<DoctorCheck> {
  const { transport } = context;
  const { model } = served;
  const location = checkpointLocationOf(served);
  const names = model.checkpoints;
  if (!location) {
    return warn('checkpoints', model.name, `no checkpoint folder is kept on the host: each container fetches ${listSome(names, 2)} itself (slow, and impossible offline)`,
      `set \`checkpoints = "/srv/…"\` under [hosts.models."${model.name}"] in cosmos.toml`);
  }
  if (location.kind === 'hf-cache') {
    const missing = await findMissingInHfCache(transport, location.path, names);
    if (missing.length === 0) return ok('checkpoints', model.name, `all ${names.length} in the Hugging Face cache ${location.path}`);
    // These models fetch what they lack at run time (into this cache): a first run needs network and the licences.
    return warn('checkpoints', model.name, `not yet in the Hugging Face cache ${location.path}: ${listSome(missing)}; the first run fetches them`,
      `fetch them now (needs an HF token that accepted the models' licences): \`HF_HOME=${location.path} hf download <repo>\` for each, e.g. ${missing[0]}`);
  }
  const { stdout } = await transport.exec(['sh', '-c', missingFiles, 'sh', location.path, ...names], { timeoutMs: 60_000 });
  const missing = stdout.split('\n').filter(Boolean);
  if (missing.length > 0) {
    return fail('checkpoints', model.name, `missing or empty under ${location.path}: ${listSome(missing)}`,
      `download them into ${location.path} (Cosmos-Transfer1: \`PYTHONPATH=$(pwd) python scripts/download_checkpoints.py --output_dir ${location.path}\` in its checkout, after accepting the Llama-Guard-3-8B and Cosmos-Guardrail1 terms; it exits 0 even when a download failed)`);
  }
  const md5 = Object.entries(model.checkpointMd5 ?? {}).filter(([name]) => names.includes(name));
  if (!context.deep) {
    return ok('checkpoints', model.name, `all ${names.length} files under ${location.path}${md5.length > 0 ? ` (--deep compares ${md5.length} MD5s)` : ''}`);
  }
  if (md5.length === 0) return ok('checkpoints', model.name, `all ${names.length} files under ${location.path} (no MD5s are published for them)`);
  const result = await transport.exec(['sh', '-c', 'cd -- "$1" && shift && exec md5sum -- "$@"', 'sh', location.path, ...md5.map(([name]) => name)], { timeoutMs: 3 * 3600_000, okExitCodes: [1] });
  const sums = new Map(result.stdout.split('\n').filter(Boolean).map((line) => {
    const [sum = '', ...path] = line.split(/\s+/);
    return [path.join(' ').replace(/^\*/, ''), sum] as const;
  }));
  const wrong = md5.filter(([name, sum]) => sums.get(name) !== sum).map(([name]) => name);
  if (wrong.length > 0) {
    return fail('checkpoints', model.name, `MD5 differs from the one the download script lists: ${listSome(wrong)}${result.exitCode !== 0 ? ` (${lastLine(result.stderr)})` : ''}`,
      `delete those files and download them again: ${quoteCommand(['rm', '--', ...wrong.map((name) => `${location.path}/${name}`)])}, then run the download script`);
  }
  return ok('checkpoints', model.name, `all ${names.length} files under ${location.path}; ${md5.length} MD5s match`);
}
