import { z } from 'zod';
import { OutputInvalidError } from '../core/input-error.js';
import { createLineSplitter } from './log-lines.js';
import type { ModelType } from './model-type.js';
import { upsamplerFailures } from './transfer1-failures.js';
import { jobPaths, launchTransfer1 } from './transfer1-launch.js';
import { enhanceCheckpoints, transfer1Md5 } from './transfer1-resources.js';

export const upsampledPromptMarker = 'Upsampled prompt:';

const enhanceParams = z.object({}).strict();

/**
 * The Pixtral prompt upsampler of Cosmos-Transfer1, run standalone under torchrun with one process. Its answer is a
 * line in the log and becomes a new prompt `<name>_enhanced`; the prompt reaches it through a file the container
 * shell reads, never through our command line.
 */
export const enhanceModel: ModelType<Record<string, never>> = {
  name: 'enhance',
  summary: 'Pixtral prompt upsampler: rewrites the prompt from its video into a new prompt <name>_enhanced',
  params: enhanceParams,
  defaults: {},
  resolveParams: (input) => enhanceParams.parse(input) as Record<string, never>,
  startsFrom: 'prompt',
  servedByDefault: true,
  maxItemsPerJob: 1,
  failures: upsamplerFailures,
  // vLLM is started with gpu_memory_utilization=0.98 (auxiliary/upsampler/model/upsampler.py:54): it takes 98 % of
  // the card's memory, so the card must be that free.
  minFreeGpuMemoryMiB: { fractionOfTotal: 0.98 },
  checkpoints: enhanceCheckpoints,
  checkpointMd5: transfer1Md5,

  planJob(context) {
    const item = context.items[0]!;
    const paths = jobPaths(context);
    return {
      inputs: [{ linkName: 'color.mp4', file: item.prompt.inputs.video }],
      texts: { 'prompt.txt': item.prompt.promptText },
      launch: launchTransfer1(context, 1, 'cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py', [
        // One token `--prompt=<text>`: a prompt such as "-x" or "--check" is then the value, not another option.
        { flag: '--prompt', contentsOf: `${paths.inputsDir}/prompt.txt` },
        '--input_video', `${paths.inputsDir}/color.mp4`,
        '--checkpoint_dir', 'checkpoints',
        '--offload_prompt_upsampler',
      ], {
        // upsampler_pipeline.py:50-69 deletes torchrun's variables with no existence check, OMP_NUM_THREADS among
        // them, which torchrun sets only for more than one process: without it every run dies with KeyError.
        // (Its answer, a plain print() at line 42, is unbuffered already: torchrun starts workers as `python -u`.)
        OMP_NUM_THREADS: '1',
      }),
      logPath: paths.logPath,
      gpus: 1,
      items: [{ runId: item.run.id, outputDir: '', localTexts: { 'prompt.txt': item.prompt.promptText }, chunks: 1 }],
    };
  },

  trackProgress: () => {
    let seen = false;
    const split = createLineSplitter();
    return {
      feed: (text) => {
        if (seen || !split(text).some((line) => line.includes(upsampledPromptMarker))) return [];
        seen = true;
        return [{ item: 0, stage: 'generating', progress: 0.9, message: 'prompt upsampled' }];
      },
      currentItem: () => 0,
      current: () => ({ stage: seen ? 'generating' : 'starting', progress: seen ? 0.9 : 0.05 }),
    };
  },

  assessJob: (end, classify) => [end.exitCode === 0
    ? { runId: end.plan.items[0]!.runId, status: 'completed' }
    : { runId: end.plan.items[0]!.runId, status: 'failed', failure: classify(end.exitCode, end.log) }],

  async readResult(files, { log }) {
    const text = readUpsampledPrompt(log);
    if (!text) throw new OutputInvalidError('the prompt upsampler finished without an "Upsampled prompt:" line (or with an empty one)');
    return {
      roles: Object.fromEntries(files.map((f) => [f.name, 'text'])),
      result: { kind: 'text', text },
      newPrompt: { text, nameSuffix: '_enhanced' },
    };
  },
};

/**
 * The rewritten prompt from the upsampler's log, or null when it printed none (or an empty one). The model's text
 * keeps its newlines (`print("Upsampled prompt:", upsampled_prompt)`, upsampler_pipeline.py:42, of the stripped
 * vLLM output): it runs from the marker to the end of the script's output, i.e. up to the launcher's own lines.
 */
export function readUpsampledPrompt(log: string): string | null {
  const at = log.indexOf(upsampledPromptMarker);
  if (at < 0) return null;
  const rest = log.slice(at + upsampledPromptMarker.length).replaceAll('\r\n', '\n');
  const end = rest.search(/\n(\[COSMOS_COMPLETE\]|\[\d\d-\d\d \d\d:\d\d:\d\d\|)/);
  const text = (end < 0 ? rest : rest.slice(0, end)).trim();
  return text ? text : null;
}
