import type { ClassifiedFailure, FailureSignatures } from '../gpu/classify-failure.js';
import { parseLoguru } from '../gpu/classify-failure.js';
import { createLineSplitter } from './log-lines.js';
import type { ItemMilestone, ItemOutcome, JobEnd, ProgressTracker } from './model-type.js';

/*
 * What Cosmos-Transfer2.5 prints, per nvidia-cosmos/cosmos-transfer2.5@2ff49d0: stdout shows only the top-level
 * modules' loguru lines (packages/cosmos-oss/cosmos_oss/init.py _console_filter); per sample
 * `Processing sample <name>` (cosmos_transfer2/inference.py generate), `Generated video saved to <out>/<name>.mp4`
 * when it is done; a blocked prompt `Guardrail blocked generation. Prompt: …` (CRITICAL) and the sample is skipped;
 * a blocked video prints nothing after `Running guardrail check on video...`. stderr carries one tqdm bar per chunk,
 * `Generating samples: …| k/N […]`, per rank (_src/transfer2/models/vid2vid_model_control_vace_rectified_flow.py).
 */
const INFERENCE = 'cosmos_transfer2/inference.py';
const SAMPLE = /Processing sample (\S+)$/;
const BAR = /Generating samples:\s+\d+%\|[^|]*\|\s*(\d+)\/(\d+)/g;

interface Section { name: string; lines: string[] }

/**
 * The loguru record on a line, wherever it starts: another rank's tqdm bar (drawn with `\r`, no newline) can sit
 * in front of rank 0's record in the merged log.
 */
function recordIn(line: string) {
  const at = line.search(/\[\d\d-\d\d \d\d:\d\d:\d\d\|/);
  return at < 0 ? null : parseLoguru(line.slice(at));
}

/** The stdout lines of each sample, from its `Processing sample` line to the next one. */
function sectionsOf(log: string): Section[] {
  const sections: Section[] = [];
  for (const line of log.split(/\r?\n|\r/)) {
    const record = recordIn(line);
    if (!record || !record.file.endsWith(INFERENCE)) continue;
    const sample = SAMPLE.exec(record.message);
    if (sample) sections.push({ name: sample[1]!, lines: [] });
    else sections.at(-1)?.lines.push(`${record.level} ${record.message}`);
  }
  return sections;
}

function guardrailBlock(section: Section | undefined): ClassifiedFailure | null {
  if (!section) return null;
  const text = section.lines.find((l) => l.startsWith('CRITICAL Guardrail blocked generation.'));
  if (text) return { kind: 'guardrail_blocked', message: `blocked by the Cosmos guardrail (the prompt): ${text.slice('CRITICAL '.length)}`, evidence: text };
  const videoCheck = section.lines.findIndex((l) => l.endsWith('Running guardrail check on video...'));
  const passed = section.lines.some((l, i) => i > videoCheck && (l.includes('Passed guardrail on generated video') || l.includes('Generated video saved to')));
  if (videoCheck !== -1 && !passed) {
    return { kind: 'guardrail_blocked', message: 'blocked by the Cosmos guardrail (the generated video): the video check passed no video and none was saved' };
  }
  return null;
}

/**
 * Samples run in order; a blocked one is skipped (exit 0, no video); a crash stops the process at its sample. With
 * several ranks a blocked prompt breaks the process from there: only rank 0 runs the text guardrail
 * (cosmos_transfer2/inference.py, `if self.device_rank == 0`) and skips the sample while the other ranks enter its
 * collectives, so nothing after it can finish (contract §3.5); those samples did not run and may run again.
 */
export function assessTransfer25(end: JobEnd, classify: (exitCode: number, log: string) => ClassifiedFailure): ItemOutcome[] {
  const present = new Set(end.outputNames);
  const sections = sectionsOf(end.log);
  let stopped = false;
  let desynced = false;
  return end.plan.items.map((item): ItemOutcome => {
    if (present.has(`${item.runId}.mp4`)) return { runId: item.runId, status: 'completed' };
    if (stopped || desynced) return { runId: item.runId, status: 'not_run' };
    const blocked = guardrailBlock(sections.find((s) => s.name === item.runId));
    if (blocked) {
      desynced = end.exitCode !== 0 && end.plan.gpus > 1 && blocked.message.includes('(the prompt)');
      return { runId: item.runId, status: 'failed', failure: blocked };
    }
    if (end.exitCode === 0) {
      return { runId: item.runId, status: 'failed', failure: { kind: 'output_invalid', message: `the container exited 0 but wrote no ${item.runId}.mp4` } };
    }
    // The first sample without a video or a block is where the process died; the later ones never started.
    stopped = true;
    return { runId: item.runId, status: 'failed', failure: classify(end.exitCode, end.log) };
  });
}

/** Milestones per sample and step-level progress from rank 0's bars (every rank draws one, so bars ÷ ranks = chunks). */
export function createTransfer25Tracker(runIds: string[], chunks: number[], steps: number[], ranks: number): ProgressTracker {
  let item = -1;
  const split = createLineSplitter();
  let finishedBars = 0;
  let step = 0;
  let latest: { stage: 'starting' | 'generating'; progress: number } = { stage: 'starting', progress: 0.05 };
  let stuck: string | null = null;
  const progressOf = () => {
    const total = Math.max(1, (chunks[item] ?? 1) * (steps[item] ?? 1));
    const done = Math.floor(finishedBars / ranks) * (steps[item] ?? 1) + step;
    return 0.1 + 0.8 * Math.min(1, done / total);
  };
  function read(line: string): ItemMilestone[] {
    const record = recordIn(line);
    const message = record?.message ?? '';
    const sample = record && SAMPLE.exec(message);
    if (sample && runIds.includes(sample[1]!)) {
      item = runIds.indexOf(sample[1]!);
      finishedBars = 0;
      step = 0;
      latest = { stage: 'starting', progress: 0.08 };
      return [{ item, stage: 'starting', progress: 0.08, message: 'model loaded, sample started' }];
    }
    if (item < 0) return [];
    if (ranks > 1 && record?.level === 'CRITICAL' && message.startsWith('Guardrail blocked generation.')) {
      stuck = `rank 0 skipped a blocked prompt while the other ${ranks - 1} rank(s) wait in its collectives`;
    }
    if (message.startsWith('Generated video saved to')) {
      latest = { stage: 'generating', progress: 0.9 };
      return [{ item, stage: 'generating', progress: 0.9, message: 'video saved' }];
    }
    const found: ItemMilestone[] = [];
    for (const bar of line.matchAll(BAR)) {
      const [k, n] = [Number(bar[1]), Number(bar[2])];
      if (k === n) {
        finishedBars += 1;
        step = 0;
        if (finishedBars % ranks === 0) {
          found.push({ item, stage: 'generating', progress: progressOf(), message: `chunk ${finishedBars / ranks}/${chunks[item] ?? 1}: done` });
        }
      } else step = Math.max(step, k);
      latest = { stage: 'generating', progress: progressOf() };
    }
    return found;
  }
  return {
    feed: (text) => split(text).flatMap(read),
    currentItem: () => Math.max(item, 0),
    current: () => latest,
    stuck: () => stuck,
  };
}

/** Beyond the common signals (CUDA OOM, signals, torchrun). */
export const transfer25Failures: FailureSignatures = {
  // cosmos_transfer2/config.py from_files: a spec the pydantic models refuse, on stderr before the model loads (exit 1).
  usageError: /^Error validating parameters from '.+' at line \d+$/,
};
