import { findMissingInHfCache } from './checkpoints.js';
import { fail, listSome, ok, warn, type DoctorCheck, type DoctorContext } from './types.js';

/**
 * The Hugging Face cache holds the models the jobs load by repo id at run time (Transfer1's Depth-Anything, SAM2 and
 * GroundingDINO for controls computed on the fly: contract §2.3 — not read from checkpoint_dir, where the download
 * script puts copies). A job finding them all runs offline; one missing is fetched by the job, which an offline
 * host cannot do.
 */
export async function checkHfCache({ transport, served }: DoctorContext): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const { model, settings } of served) {
    if (!model.hfCacheModels) continue;
    const { cache, repos } = model.hfCacheModels(settings);
    const all = [...new Set(Object.values(repos).flat())];
    if (all.length === 0) continue;
    if (cache === null) {
      checks.push(warn('hf-cache', model.name, `no Hugging Face cache is kept on the host: every container fetches ${listSome(all, 2)} again (impossible offline)`,
        `set \`checkpoints = "/srv/…"\` under [hosts.models."${model.name}"]: its huggingface/ is the cache`));
      continue;
    }
    const missing = new Set(await findMissingInHfCache(transport, cache, all));
    if (missing.size === 0) {
      checks.push(ok('hf-cache', model.name, `${cache} holds ${listSome(all)}: jobs run with HF_HUB_OFFLINE=1`));
      continue;
    }
    const needs = Object.entries(repos).flatMap(([purpose, list]) => list.filter((r) => missing.has(r)).map((r) => `${r} (${purpose})`));
    checks.push(fail('hf-cache', model.name, `${cache} lacks ${listSome(needs, 3)}: a job that needs it fetches it first, and fails on a host without network`,
      `fetch ${missing.size > 1 ? 'them' : 'it'} once: ${[...missing].map((r) => `\`HF_HOME=${cache} hf download ${r}\``).join(', ')} (huggingface-cli download on older huggingface_hub)`));
  }
  return checks;
}
