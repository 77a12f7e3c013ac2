import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setFaults, type FaultRule } from '../../simulator/install.js';
import { baseSpec, createSim, eventually, transferCommand, waitForExitCode, writeJob, type Sim } from './helpers.js';

vi.setConfig({ testTimeout: 60_000 });

let sim: Sim;
beforeEach(async () => {
  sim = await createSim();
});
afterEach(async () => {
  await sim.cleanup();
});

async function startJob(job: string, prompt: string, command?: string[]): Promise<string> {
  await writeJob(sim, job, baseSpec(job, { prompt }));
  const name = `cosmos-transfer-${job}`;
  expect((await sim.runContainer(name, command ?? transferCommand(job))).code).toBe(0);
  return name;
}

async function runFaulted(job: string, faults: FaultRule[], prompt = 'A quiet street at dawn.') {
  await setFaults(sim.home, faults);
  const name = await startJob(job, prompt);
  const exitCode = await waitForExitCode(sim, name);
  const logs = await sim.docker('logs', name);
  const video = join(sim.workspace, 'cosmos-jobs', job, 'outputs', 'output.mp4');
  return { exitCode, ...logs, videoExists: existsSync(video) };
}

describe('fault injection', () => {
  it('guardrail: CRITICAL block lines, then the TypeError crash, exit 1 and no video', async () => {
    const result = await runFaulted('rs_guard', [{ promptContains: 'street', mode: 'guardrail' }]);
    expect(result.exitCode).toBe(1);
    // The fault stands for Llama Guard 3 judging the prompt unsafe (llamaGuard3.py:50-64, common/core.py:57).
    expect(result.stdout).toMatch(/^\[[^\]]*\|CRITICAL\|cosmos_transfer1\/auxiliary\/guardrail\/common\/presets\.py:55:run_text_guardrail\] GUARDRAIL BLOCKED: LLAMAGUARD3: Prompt blocked by Llama Guard 3\. Violations: Violent Crimes\.$/m);
    for (const line of ['Input text prompt 1 is not safe', 'All prompts failed safety checks', 'Guardrail blocked generation for entire batch.']) {
      expect(result.stdout).toContain(line);
    }
    expect(result.stderr).toContain('[rank0]: TypeError: cannot unpack non-iterable NoneType object');
    expect(result.stdout).not.toContain('Starting diffusion sampling');
    expect(result.videoExists).toBe(false);
  });

  it('guardrail: a prompt with the blocked word is blocked without any fault rule', async () => {
    const result = await runFaulted('rs_word', [], 'A GUARDRAIL_BLOCKED_WORD in the prompt');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('GUARDRAIL BLOCKED: BLOCKLIST:');
    expect(result.stdout).toContain('Input text prompt 1 is not safe');
    expect(result.videoExists).toBe(false);
  });

  it('oom: a torch.OutOfMemoryError traceback from rank 0, a ChildFailedError summary, exit 1', async () => {
    const result = await runFaulted('rs_oom', [{ mode: 'oom' }]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('Starting diffusion sampling');
    expect(result.stderr).toMatch(/^\[rank0\]: torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate [\d.]+ GiB\. GPU 0 has a total capacity of/m);
    expect(result.stderr).toContain('torch.distributed.elastic.multiprocessing.errors.ChildFailedError');
    expect(result.stderr).toContain('cosmos_transfer1/diffusion/inference/transfer.py FAILED');
    expect(result.videoExists).toBe(false);
  });

  it('exit1: a generic RuntimeError traceback and exit 1', async () => {
    const result = await runFaulted('rs_exit1', [{ mode: 'exit1' }]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('[rank0]: RuntimeError: ');
    expect(result.stderr).not.toContain('OutOfMemoryError');
    expect(result.videoExists).toBe(false);
  });

  it('missing_checkpoint: FileNotFoundError for the base model while loading, exit 1', async () => {
    const result = await runFaulted('rs_ckpt', [{ mode: 'missing_checkpoint' }]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("FileNotFoundError: [Errno 2] No such file or directory: 'checkpoints/nvidia/Cosmos-Transfer1-7B/base_model.pt'");
    // The default model has no base_load_from: base_model.pt is read after the build (world_generation_pipeline.py:334).
    expect(result.stdout).toContain('Done creating ctrlnet model');
    expect(result.stdout).not.toContain('Loading ctrl model from ckpt_path');
  });

  it('host_oom: the kernel kills one rank with SIGKILL; torchrun reports exitcode -9 and exits 1', async () => {
    const result = await runFaulted('rs_hoom', [{ mode: 'host_oom' }]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('Start creating base model');
    expect(result.stdout).not.toContain('Done loading the base model checkpoint.');
    expect(result.stderr).toMatch(/failed \(exitcode: -9\) local_rank: 0 \(pid: \d+\) of binary: /);
    expect(result.stderr).toMatch(/^ {2}exitcode {2}: -9 \(pid: \d+\)$/m);
    expect(result.stderr).toMatch(/^ {2}traceback : Signal 9 \(SIGKILL\) received by PID \d+$/m);
    expect(result.stderr).not.toContain('[rank0]: Traceback');
    expect(result.videoExists).toBe(false);
  });

  it('host_oom: a wrapping shell records torchrun\'s exit 1', async () => {
    await setFaults(sim.home, [{ mode: 'host_oom' }]);
    const job = 'rs_hoomsh';
    const script = `${transferCommand(job).join(' ')} 2>&1 | tee cosmos-jobs/${job}/run.log; echo "[COSMOS_COMPLETE] exit_code=\${PIPESTATUS[0]}"`;
    const name = await startJob(job, 'A quiet street', ['bash', '-c', script]);
    expect(await waitForExitCode(sim, name)).toBe(0);
    expect((await sim.docker('logs', name)).stdout.trim().split('\n').at(-1)).toBe('[COSMOS_COMPLETE] exit_code=1');
  });

  it('killed: the whole container gets SIGKILL like docker kill, so it exits 137 and its shell prints nothing more', async () => {
    await setFaults(sim.home, [{ mode: 'killed' }]);
    const job = 'rs_killed';
    const script = `${transferCommand(job).join(' ')} 2>&1 | tee cosmos-jobs/${job}/run.log; echo "[COSMOS_COMPLETE] exit_code=\${PIPESTATUS[0]}"`;
    const name = await startJob(job, 'A quiet street', ['bash', '-c', script]);
    expect(await waitForExitCode(sim, name)).toBe(137);
    const logs = await sim.docker('logs', name);
    expect(logs.stdout).toContain('Start creating base model');
    expect(logs.stdout).not.toContain('COSMOS_COMPLETE');
    expect(logs.stderr).not.toContain('ChildFailedError');
    expect((await sim.docker('inspect', '-f', '{{.State.OOMKilled}}', name)).stdout).toBe('false\n');
  });

  it('exit137 is the old name of killed: exit 137 without output', async () => {
    const result = await runFaulted('rs_137', [{ mode: 'exit137' }]);
    expect(result.exitCode).toBe(137);
    expect(result.stdout).not.toContain('Saved video to');
    expect(result.videoExists).toBe(false);
  });

  it('hang: stops printing and keeps running until killed', async () => {
    await setFaults(sim.home, [{ mode: 'hang' }]);
    const name = await startJob('rs_hang', 'A quiet street');
    await eventually(async () => ((await sim.docker('logs', name)).stdout.includes('Starting diffusion sampling') ? true : undefined));
    const before = (await sim.docker('logs', name)).stdout;
    await new Promise((r) => setTimeout(r, 2000));
    expect((await sim.docker('logs', name)).stdout).toBe(before);
    expect((await sim.docker('inspect', '-f', '{{.State.Status}}', name)).stdout).toBe('running\n');
    expect((await sim.docker('kill', name)).code).toBe(0);
    expect(await waitForExitCode(sim, name)).toBe(137);
  });

  it('slow: every simulated duration takes five times longer', async () => {
    await setFaults(sim.home, [{ mode: 'slow' }]);
    // Unfaulted, load + one chunk take (180 + 540) * 0.002 = 1.4 s; slowed, 7.2 s.
    const name = await startJob('rs_slow', 'A quiet street');
    await new Promise((r) => setTimeout(r, 3000));
    expect((await sim.docker('inspect', '-f', '{{.State.Status}}', name)).stdout).toBe('running\n');
    expect((await sim.docker('logs', name)).stdout).not.toContain('Completed diffusion sampling');
    await sim.docker('kill', name);
  });

  it('matches rules on the container name, first matching rule first', async () => {
    await setFaults(sim.home, [
      { containerNameContains: 'rs_bad', mode: 'exit1' },
      { containerNameContains: 'rs_', promptContains: 'never present', mode: 'oom' },
    ]);
    const bad = await startJob('rs_bad', 'A quiet street');
    const good = await startJob('rs_good', 'A quiet street');
    expect(await waitForExitCode(sim, bad)).toBe(1);
    expect(await waitForExitCode(sim, good)).toBe(0);
  });
});
