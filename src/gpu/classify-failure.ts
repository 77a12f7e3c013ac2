import type { FailureKind } from '../db/schema.js';

export interface ClassifiedFailure {
  kind: FailureKind;
  message: string;
  /** The log line (prefixes removed) the kind was decided from, when one was. */
  evidence?: string;
}

/*
 * Failure kinds come only from the model's own error signals, never from text that merely appears in the log:
 * Cosmos echoes the prompt (`args in json: {...}`, `final args: {...}`, the blocklist's reason, the upsampler's
 * lines), so words such as "is not safe" or "ValueError" can be part of a prompt. What counts:
 *  - the final line of a Python traceback (the exception headline), per process;
 *  - loguru records (`[MM-DD HH:mm:ss|LEVEL|path.py:LINE:function] message`) that a named Cosmos source file
 *    prints, with the exact message text it prints;
 *  - torchrun's own ChildFailedError summary;
 *  - Docker's exit code and State.OOMKilled.
 * Sources read: nvidia-cosmos/cosmos-transfer1 at 5005e823dbd478ad8e51f6bc28a913a13a994b5f (the last change
 * under cosmos_transfer1/ is 9990225); pytorch/pytorch and vllm-project/vllm at the commits named below.
 */

/** What a model prints when it refuses a job, beyond the common signals below; each model type declares its own. */
export interface FailureSignatures {
  /** Loguru CRITICAL records of the model's guardrail; `reason` lines give the why, `final` lines end the job. */
  guardrail?: GuardrailLine[];
  /** Exception headlines that mean the model rejected its input. */
  badInput?: { type: RegExp; message: RegExp }[];
  /** A message-less AssertionError recognised by its last source line. */
  badInputAssertCode?: RegExp;
  /** The model's argparse error line. */
  usageError?: RegExp;
  /** Exception headlines that mean GPU memory was short, with what to tell the user. */
  outOfMemory?: { type: RegExp; message: RegExp; explain: string }[];
}

export interface GuardrailLine { file: string; message: RegExp; final: boolean; reason?: boolean; what?: 'prompt' | 'video' }

// ---------------------------------------------------------------------------------------------------------------
// Memory.

/**
 * CUDA OOM: c10/cuda/CUDACachingAllocator.cpp raises OutOfMemoryError "CUDA out of memory. Tried to allocate ..."
 * (pytorch/pytorch@eb42ad6e), surfacing as torch.OutOfMemoryError (torch >= 2.5; torch.cuda.OutOfMemoryError
 * before). The CUDA runtime's own cudaErrorMemoryAllocation reads "CUDA error: out of memory".
 */
const CUDA_OOM_TYPE = /^(torch\.(cuda\.)?)?OutOfMemoryError$/;
const CUDA_OOM_MESSAGE = /^(CUDA out of memory\.|CUDA error: out of memory)/;

/**
 * torchrun's summary: torch/distributed/elastic/multiprocessing/errors/__init__.py _FAILURE_FORMAT_TEMPLATE
 * `  exitcode  : ${exitcode} (pid: ${pid})` and, for a signal, ProcessFailure's message
 * "Signal {n} ({name}) received by PID {pid}" (pytorch/pytorch@1c94016e); the agent's line before it,
 * torch/distributed/elastic/multiprocessing/api.py: "failed (exitcode: %s) local_rank: %s (pid: %s) of binary: %s"
 * (pytorch/pytorch@8f4329ea). A worker killed by SIGKILL (-9) while the launcher lives on is the kernel's OOM killer
 * picking the largest process: every rank holds T5-11B in host RAM while loading (~40 GB each).
 */
const SUMMARY_EXITCODE = /^\s{2}exitcode\s{2}: (-?\d+) \(pid: (\d+)\)$/;
const SUMMARY_RANK = /^\s{2}rank\s{6}: (\d+) \(local_rank: (\d+)\)$/;
const SUMMARY_TRACEBACK = /^\s{2}traceback : (.+)$/;
const AGENT_FAILED = /failed \(exitcode: (-?\d+)\) local_rank: (\d+) \(pid: (\d+)\) of binary: /;
const CHILD_FAILED_ERROR = /(^|\.)ChildFailedError$/;

const SIGNAL_NAMES: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' };

// ---------------------------------------------------------------------------------------------------------------

interface LogLine { raw: string; source: string; text: string }
interface Headline { source: string; type: string; message: string; line: string; lastCode: string }
interface LoguruRecord { level: string; file: string; message: string }
interface TorchrunFailure { rank: number | null; exitcode: number; traceback: string }

/** Reads a failed container's log, exit code and Docker's OOMKilled flag, per the Cosmos failure signatures. */
export function classifyContainerFailure(exitCode: number, log: string, oomKilled = false, signatures: FailureSignatures = {}): ClassifiedFailure {
  const lines = splitLines(log);
  const headlines = findExceptionHeadlines(lines);
  const torchrun = findTorchrunFailure(lines);
  const headline = rootHeadline(headlines, torchrun);
  const tail = tailOf(lines);
  const withTail = (text: string) => `${text}\n${tail}`.trimEnd();
  const headlineText = headline ? `: ${headline.line}` : '';

  if (oomKilled) {
    return {
      kind: 'out_of_memory',
      message: withTail(`out of host memory: Docker reports the container was OOM-killed (exit ${exitCode})${headlineText}`),
    };
  }

  const cudaOom = headlines.find((h) => CUDA_OOM_TYPE.test(h.type) || CUDA_OOM_MESSAGE.test(h.message));
  if (cudaOom) return { kind: 'out_of_memory', message: withTail(`GPU out of memory: ${cudaOom.line}`), evidence: cudaOom.line };

  for (const rule of signatures.outOfMemory ?? []) {
    const found = headlines.find((h) => rule.type.test(h.type) && rule.message.test(h.message));
    if (found) return { kind: 'out_of_memory', message: withTail(`${rule.explain}: ${found.line}`), evidence: found.line };
  }

  if (torchrun && torchrun.exitcode === -9) {
    const rank = torchrun.rank === null ? 'a worker' : `rank ${torchrun.rank}`;
    return {
      kind: 'out_of_memory',
      message: withTail(`out of host memory: torchrun reports ${rank} killed by SIGKILL (exitcode -9: ${torchrun.traceback}), which is how the kernel's OOM killer ends a process when host RAM runs out`),
      evidence: torchrun.traceback,
    };
  }

  if (exitCode > 128 && exitCode < 160) {
    const signal = exitCode - 128;
    const name = SIGNAL_NAMES[signal] ?? `signal ${signal}`;
    const launcherOnly = lines.some((line) => line.text === `[COSMOS_COMPLETE] exit_code=${exitCode}`);
    const why = signal !== 9
      ? launcherOnly ? 'torchrun itself was killed' : 'the container was stopped from outside'
      : launcherOnly
        ? 'torchrun itself got SIGKILL while the container\'s shell lived on (a kill -9 of the launcher, or an OOM kill Docker did not report)'
        : 'docker kill, docker stop after its grace period, a host shutdown, or the OOM killer acting for a cgroup other than the container\'s';
    return {
      kind: 'container_failed',
      message: withTail(`the container was killed by a signal (exit ${exitCode} = ${name}), not an out-of-memory kill (Docker reports OOMKilled=false): ${why}${headlineText}`),
    };
  }

  const guardrail = findGuardrailBlock(lines, signatures.guardrail ?? []);
  if (guardrail) return { kind: 'guardrail_blocked', message: guardrail.message, evidence: guardrail.evidence };

  const badInput = signatures.badInput ?? [];
  const assertCode = signatures.badInputAssertCode;
  const invalid = headlines.find((h) => badInput.some((p) => p.type.test(h.type) && p.message.test(h.message)))
    ?? (assertCode ? headlines.find((h) => h.type === 'AssertionError' && h.message === '' && assertCode.test(h.lastCode)) : undefined);
  if (invalid) {
    const what = invalid.message === '' ? `${invalid.line} (${invalid.lastCode})` : invalid.line;
    return { kind: 'bad_input', message: `Cosmos rejected the job: ${what}`, evidence: invalid.line };
  }
  const usageError = signatures.usageError;
  const usage = usageError ? lines.map((line) => usageError.exec(line.text)).find((match) => match !== null) : undefined;
  if (usage) return { kind: 'bad_input', message: `Cosmos rejected the arguments: ${usage[0]}`, evidence: usage[0] };

  let detail = headlineText;
  if (!headline && torchrun && torchrun.exitcode < 0) {
    const signal = -torchrun.exitcode;
    detail = `: torchrun reports a worker killed by ${SIGNAL_NAMES[signal] ?? `signal ${signal}`} (${torchrun.traceback})`;
  }
  return { kind: 'container_failed', message: withTail(`the container exited with code ${exitCode}${detail}`), evidence: headline?.line };
}

/** One entry per line with the process prefixes removed: torchrun's `[rankN]: `, `--tee`'s `[defaultN]:`, vLLM's `(EngineCore_DP0 pid=N) `. */
function splitLines(log: string): LogLine[] {
  return log
    .split(/\r?\n|\r/)
    // eslint-disable-next-line no-control-regex
    .map((raw) => raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd())
    .filter((raw) => raw.trim() !== '')
    .map((raw) => {
      let text = raw;
      const source: string[] = [];
      for (;;) {
        const match = /^(\[(?:rank|default)\d+\]:) ?/.exec(text) ?? /^(\([A-Za-z][\w-]* pid=\d+\)) /.exec(text);
        if (!match) break;
        source.push(match[1] as string);
        text = text.slice(match[0].length);
      }
      return { raw, source: source.join(' '), text };
    });
}

/**
 * The last line of each Python traceback (`Type: message`), per process: after `Traceback (most recent call last):`
 * come indented frame lines, then the first unindented line is the exception.
 */
function findExceptionHeadlines(lines: LogLine[]): Headline[] {
  const open = new Map<string, { lastCode: string }>();
  const found: Headline[] = [];
  for (const { source, text } of lines) {
    if (text === 'Traceback (most recent call last):') {
      open.set(source, { lastCode: '' });
      continue;
    }
    const traceback = open.get(source);
    if (!traceback) continue;
    if (/^\s/.test(text)) {
      const code = text.trim();
      if (!/^File ".*", line \d+/.test(code) && !/^[~^]+$/.test(code)) traceback.lastCode = code;
      continue;
    }
    open.delete(source);
    const match = /^([A-Za-z_][\w.]*)(?:: ?(.*))?$/.exec(text);
    if (!match) continue;
    found.push({ source, type: match[1] as string, message: (match[2] ?? '').trim(), line: text.trim(), lastCode: traceback.lastCode });
  }
  return found;
}

/** torchrun's ChildFailedError summary: the root cause's rank, exit code and traceback line (or the agent's error line). */
function findTorchrunFailure(lines: LogLine[]): TorchrunFailure | null {
  const start = lines.findIndex((line) => line.source === '' && line.text === 'Root Cause (first observed failure):');
  if (start !== -1) {
    let rank: number | null = null;
    let exitcode: number | null = null;
    let traceback = '';
    for (const { text } of lines.slice(start + 1, start + 10)) {
      const r = SUMMARY_RANK.exec(text);
      if (r) rank = Number(r[1]);
      const e = SUMMARY_EXITCODE.exec(text);
      if (e) exitcode = Number(e[1]);
      const t = SUMMARY_TRACEBACK.exec(text);
      if (t) {
        traceback = (t[1] as string).trim();
        break;
      }
    }
    if (exitcode !== null) return { rank, exitcode, traceback };
  }
  const agent = lines.map((line) => (line.source === '' ? AGENT_FAILED.exec(line.text) : null)).find((m) => m !== null);
  if (!agent) return null;
  const exitcode = Number(agent[1]);
  const traceback = exitcode < 0 ? `Signal ${-exitcode} (${SIGNAL_NAMES[-exitcode] ?? '?'}) received by PID ${agent[3]}` : '';
  return { rank: Number(agent[2]), exitcode, traceback };
}

/** The model's exception a person needs: the root-cause rank's last one if torchrun named it, else the last one. */
function rootHeadline(headlines: Headline[], torchrun: TorchrunFailure | null): Headline | undefined {
  const model = headlines.filter((h) => !CHILD_FAILED_ERROR.test(h.type));
  const rank = torchrun?.rank;
  if (rank !== null && rank !== undefined) {
    const ofRank = model.filter((h) => h.source.includes(`[rank${rank}]:`) || h.source.includes(`[default${rank}]:`));
    if (ofRank.length > 0) return ofRank.at(-1);
  }
  return model.at(-1);
}

export function parseLoguru(text: string): LoguruRecord | null {
  // cosmos_transfer1/utils/log.py init_loguru_stdout(): "[{time:MM-DD HH:mm:ss}|{machine}{level}|{relative_path}:{line}:{function}] {message}";
  // the machine part is empty with RANK0_ONLY=True (log.py:20), relative_path is relative to the working directory.
  const match = /^\[\d\d-\d\d \d\d:\d\d:\d\d\|(?:[^|]*\]\| )?(TRACE|DEBUG|INFO|SUCCESS|WARNING|ERROR|CRITICAL)\|([^\]\s]+?\.py):\d+:[^\]\s]+\] (.*)$/.exec(text);
  if (!match) return null;
  return { level: match[1] as string, file: match[2] as string, message: match[3] as string };
}

function isFile(path: string, file: string): boolean {
  return path === file || path.endsWith(`/${file}`);
}

/** A block that ended the run: one of the guardrail's final CRITICAL lines, with the reasons it printed before it. */
function findGuardrailBlock(lines: LogLine[], rules: GuardrailLine[]): { message: string; evidence: string } | null {
  const reasons: string[] = [];
  let what: 'prompt' | 'video' | undefined;
  let finalLine: string | undefined;
  for (const { text } of lines) {
    const record = parseLoguru(text);
    if (!record || record.level !== 'CRITICAL') continue;
    const rule = rules.find((r) => isFile(record.file, r.file) && r.message.test(record.message));
    if (!rule) continue;
    const reason = rule.reason ? rule.message.exec(record.message)?.[1] : undefined;
    if (reason !== undefined && !reasons.includes(reason)) reasons.push(reason);
    if (rule.what) what = rule.what;
    if (rule.final) finalLine ??= record.message;
  }
  if (finalLine === undefined) return null;
  const subject = what === 'video' ? 'the generated video' : what === 'prompt' ? 'the prompt' : 'the job';
  const why = reasons.length > 0 ? reasons.map((r) => clip(r, 300)).join('; ') : finalLine;
  return { message: `blocked by the Cosmos guardrail (${subject}): ${why}`, evidence: finalLine };
}

function tailOf(lines: LogLine[]): string {
  return lines
    .filter((line) => !line.text.startsWith('[COSMOS_COMPLETE]'))
    .slice(-12)
    .map((line) => line.raw)
    .join('\n');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
