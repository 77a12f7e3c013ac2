import type { JobPlan } from '../models/index.js';
import type { GpuHost } from './deps.js';

/** `huggingface_hub`'s folder for a model repo in a cache: `<cache>/hub/models--<org>--<name>`. */
export const hfRepoFolder = (cache: string, repo: string) => `${cache}/hub/models--${repo.replaceAll('/', '--')}`;

/**
 * The host's HF cache for the models the job loads by repo id: made if missing (by the SSH user, so docker does
 * not create it as root). When it holds every one, the container runs offline (HF_HUB_OFFLINE=1): nothing is
 * fetched and a host without network works; otherwise the job fetches what is missing into it, once.
 */
export async function launchWithHfCache({ transport }: GpuHost, plan: JobPlan): Promise<{ launch: JobPlan['launch']; missing: string[] }> {
  if (!plan.hfModels) return { launch: plan.launch, missing: [] };
  const { cache, repos } = plan.hfModels;
  await transport.mkdirp(`${cache}/hub`);
  const missing: string[] = [];
  for (const repo of repos) if (!(await transport.stat(hfRepoFolder(cache, repo)))) missing.push(repo);
  if (missing.length > 0) return { launch: plan.launch, missing };
  return { launch: { ...plan.launch, env: { ...plan.launch.env, HF_HUB_OFFLINE: '1' } }, missing };
}
