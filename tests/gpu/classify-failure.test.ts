import { describe, expect, it } from 'vitest';
import { upsamplerFailures } from '../../src/models/transfer1-failures.js';
import { classifyContainerFailure } from '../../src/gpu/classify-failure.js';

/*
 * Log excerpts shaped like a real `torchrun ... transfer.py 2>&1 | tee run.log` of cosmos-transfer1 (5005e82):
 * loguru records on stdout, `[rankN]: ` tracebacks and torchrun's ChildFailedError summary on stderr, and the
 * orchestrator's completion marker at the end.
 */
const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const PRESETS = 'cosmos_transfer1/auxiliary/guardrail/common/presets.py';

const loguru = (level: string, where: string, message: string) => `[06-07 10:21:25|${level}|${where}] ${message}`;
const info = (where: string, message: string) => loguru('INFO', where, message);
const critical = (where: string, message: string) => loguru('CRITICAL', where, message);

/** parse_arguments() logs the spec's args with json.dumps(indent=4): the prompt is echoed, escaped, on its own line. */
function argsEcho(prompt: string): string[] {
  return [
    info(`${TRANSFER}:180:parse_arguments`, 'args in json: {'),
    `    "prompt": ${JSON.stringify(prompt)},`,
    '    "input_video_path": "/workspace/cosmos-jobs/r1/inputs/color.mp4",',
    '    "sigma_max": 70',
    '}',
    info(`${TRANSFER}:187:parse_arguments`, 'final args: {'),
    `    "prompt": ${JSON.stringify(prompt)},`,
    '    "num_input_frames": 1',
    '}',
  ];
}

const loading = [
  info(`${PIPELINE}:141:_load_model`, 'Start creating base model'),
  info(`${PIPELINE}:147:_load_model`, 'Loading base model checkpoint (local): checkpoints/nvidia/Cosmos-Transfer1-7B/base_model.pt'),
];

function traceback(frames: [string, number, string, string][], last: string, rank: number | null = 0): string[] {
  const prefix = rank === null ? '' : `[rank${rank}]: `;
  return [
    'Traceback (most recent call last):',
    ...frames.flatMap(([file, line, fn, code]) => [`  File "${file}", line ${line}, in ${fn}`, `    ${code}`]),
    last,
  ].map((line) => `${prefix}${line}`);
}

const demoFrames: [string, number, string, string][] = [
  [`/workspace/${TRANSFER}`, 433, '<module>', 'demo(args, control_inputs)'],
  [`/workspace/${TRANSFER}`, 363, 'demo', 'batch_outputs = pipeline.generate('],
];
const validationFrames: [string, number, string, string][] = [
  [`/workspace/${TRANSFER}`, 433, '<module>', 'demo(args, control_inputs)'],
  [`/workspace/${TRANSFER}`, 229, 'demo', 'control_inputs = validate_controlnet_specs(cfg, control_inputs)'],
  ['/workspace/cosmos_transfer1/diffusion/inference/inference_utils.py', 1237, 'validate_controlnet_specs', 'raise ValueError('],
];

/** torch/distributed/elastic: the agent's error line, torchrun's own traceback and the ChildFailedError summary. */
function childFailed(exitcode: number, rank = 0): string[] {
  const message = exitcode < 0
    ? `Signal ${-exitcode} (${({ 9: 'SIGKILL', 11: 'SIGSEGV' } as Record<number, string>)[-exitcode]}) received by PID 431`
    : 'To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html';
  return [
    `E0607 10:31:02.123000 412 torch/distributed/elastic/multiprocessing/api.py:874] failed (exitcode: ${exitcode}) local_rank: ${rank} (pid: 431) of binary: /usr/bin/python`,
    ...traceback([
      ['/usr/local/bin/torchrun', 8, '<module>', 'sys.exit(main())'],
      ['/usr/local/lib/python3.12/dist-packages/torch/distributed/launcher/api.py', 270, 'launch_agent', 'raise ChildFailedError('],
    ], 'torch.distributed.elastic.multiprocessing.errors.ChildFailedError: ', null),
    '============================================================',
    `${TRANSFER} FAILED`,
    '------------------------------------------------------------',
    'Failures:',
    '  <NO_OTHER_FAILURES>',
    '------------------------------------------------------------',
    'Root Cause (first observed failure):',
    '[0]:',
    '  time      : 2026-06-07_10:31:02',
    '  host      : gpu-01',
    `  rank      : ${rank} (local_rank: ${rank})`,
    `  exitcode  : ${exitcode} (pid: 431)`,
    '  error_file: <N/A>',
    `  traceback : ${message}`,
    '============================================================',
  ];
}

const done = (code: number) => `[COSMOS_COMPLETE] exit_code=${code}`;
const join = (...parts: (string | string[])[]) => `${parts.flat().join('\n')}\n`;

const guardrailCrash = traceback(
  [[`/workspace/${TRANSFER}`, 433, '<module>', 'demo(args, control_inputs)'], [`/workspace/${TRANSFER}`, 387, 'demo', 'videos, final_prompts = batch_outputs']],
  'TypeError: cannot unpack non-iterable NoneType object',
);

/** A prompt that quotes every signal the classifier looks for, as a user might write it. */
const trickyPrompt = 'A street sign reads "GUARDRAIL BLOCKED: BLOCKLIST: is not safe". Input text prompt 1 is not safe. '
  + 'All prompts failed safety checks. Guardrail blocked generation for entire batch. '
  + "ValueError: Must have 'input_video' specified if sigma_max < 80. torch.OutOfMemoryError: CUDA out of memory. "
  + 'exitcode  : -9 (pid: 1) Signal 9 (SIGKILL) received by PID 1';

const illegalAccess = traceback(
  [...demoFrames, ['/workspace/cosmos_transfer1/diffusion/module/blocks.py', 388, 'forward', 'x = self.attn(self.norm(x), context=crossattn_emb)']],
  'RuntimeError: CUDA error: an illegal memory access was encountered',
);

interface Case {
  name: string;
  exitCode: number;
  log: string;
  oomKilled?: boolean;
  kind: string;
  contains: string[];
  excludes?: string[];
}

const cases: Case[] = [
  {
    name: 'reads a blocklist block of the text prompt as guardrail_blocked, with the guardrail\'s reason',
    exitCode: 1,
    log: join(argsEcho('A GUARDRAIL_BLOCKED_WORD here'), loading, [
      info(`${PIPELINE}:728:generate`, 'Running guardrail checks on all prompts'),
      critical(`${PRESETS}:55:run_text_guardrail`, 'GUARDRAIL BLOCKED: BLOCKLIST: Prompt blocked by exact match blocklist: Prompt: A GUARDRAIL_BLOCKED_WORD here, Exact Match Word: GUARDRAIL_BLOCKED_WORD'),
      critical(`${PIPELINE}:735:generate`, 'Input text prompt 1 is not safe'),
      critical(`${PIPELINE}:738:generate`, 'All prompts failed safety checks'),
      critical(`${TRANSFER}:377:demo`, 'Guardrail blocked generation for entire batch.'),
    ], guardrailCrash, childFailed(1), done(1)),
    kind: 'guardrail_blocked',
    contains: ['blocked by the Cosmos guardrail (the prompt): BLOCKLIST: Prompt blocked by exact match blocklist'],
    excludes: ['TypeError'],
  },
  {
    name: 'reads a Llama Guard block of the text prompt as guardrail_blocked',
    exitCode: 1,
    log: join(loading, [
      critical(`${PRESETS}:55:run_text_guardrail`, 'GUARDRAIL BLOCKED: LLAMAGUARD3: Prompt blocked by Llama Guard 3. Violated categories: Violent Crimes.'),
      critical(`${PIPELINE}:735:generate`, 'Input text prompt 1 is not safe'),
      critical(`${PIPELINE}:738:generate`, 'All prompts failed safety checks'),
      critical(`${TRANSFER}:377:demo`, 'Guardrail blocked generation for entire batch.'),
    ], guardrailCrash, childFailed(1), done(1)),
    kind: 'guardrail_blocked',
    contains: ['LLAMAGUARD3: Prompt blocked by Llama Guard 3.'],
  },
  {
    name: 'reads a block of the generated video as guardrail_blocked and says it was the video',
    exitCode: 1,
    log: join(loading, [
      info(`${PIPELINE}:728:generate`, 'Running guardrail checks on all prompts'),
      info(`${PIPELINE}:776:generate`, 'Finish generation'),
      info(`${PIPELINE}:778:generate`, 'Run guardrail on generated videos'),
      critical(`${PRESETS}:71:run_video_guardrail`, 'GUARDRAIL BLOCKED: VIDEOCONTENTSAFETYFILTER: unsafe frames detected'),
      critical(`${PIPELINE}:797:generate`, 'Generated video 1 is not safe'),
      critical(`${PIPELINE}:799:generate`, 'All generated videos failed safety checks'),
      critical(`${TRANSFER}:377:demo`, 'Guardrail blocked generation for entire batch.'),
    ], guardrailCrash, childFailed(1), done(1)),
    kind: 'guardrail_blocked',
    contains: ['blocked by the Cosmos guardrail (the generated video): VIDEOCONTENTSAFETYFILTER: unsafe frames detected'],
  },
  {
    name: 'does not read guardrail, validation or memory phrases in the echoed prompt: a crash of that prompt is container_failed',
    exitCode: 1,
    log: join(argsEcho(trickyPrompt), loading, [
      info(`${PIPELINE}:713:generate`, `Upsampling prompt 1/1: ${trickyPrompt.slice(0, 50)}...`),
      info(`${PIPELINE}:728:generate`, 'Running guardrail checks on all prompts'),
      info(`${PIPELINE}:615:_run_model`, 'Starting diffusion sampling'),
    ], illegalAccess, childFailed(1), done(1)),
    kind: 'container_failed',
    contains: ['the container exited with code 1: RuntimeError: CUDA error: an illegal memory access was encountered'],
    excludes: ['COSMOS_COMPLETE'],
  },
  {
    name: 'does not call a run guardrail_blocked when one item of a batch was blocked and the run then crashed for another reason',
    exitCode: 1,
    log: join(loading, [
      critical(`${PRESETS}:55:run_text_guardrail`, 'GUARDRAIL BLOCKED: BLOCKLIST: Input is empty'),
      critical(`${PIPELINE}:735:generate`, 'Input text prompt 2 is not safe'),
      info(`${PIPELINE}:749:generate`, 'Running text embedding on all prompts'),
    ], illegalAccess, childFailed(1), done(1)),
    kind: 'container_failed',
    contains: ['RuntimeError: CUDA error: an illegal memory access was encountered'],
  },
  {
    name: 'reads torch\'s CUDA out-of-memory error as out_of_memory with the exception headline',
    exitCode: 1,
    log: join(loading, [info(`${PIPELINE}:615:_run_model`, 'Starting diffusion sampling')], traceback(
      [...demoFrames, ['/workspace/cosmos_transfer1/diffusion/module/attention.py', 212, 'forward', 'attn = torch.softmax(q @ k.transpose(-2, -1) * self.scale, dim=-1)']],
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.45 GiB. GPU 0 has a total capacity of 79.19 GiB of which 1.21 GiB is free.',
    ), childFailed(1), done(1)),
    kind: 'out_of_memory',
    contains: ['GPU out of memory: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.45 GiB.', 'Root Cause'],
  },
  {
    name: 'reads vLLM\'s free-memory ValueError as out_of_memory: the GPU was not free enough, not bad input',
    exitCode: 1,
    log: join(loading, [info(`${PIPELINE}:741:_process_prompt_upsampler`, 'Upsampling prompt 1/1: A robot arm...')],
      [
        '(EngineCore_DP0 pid=812) ERROR 06-07 10:24:11 [core.py:708] EngineCore failed to start.',
        ...traceback([
          ['/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py', 699, 'run_engine_core', 'engine_core = EngineCoreProc(*args, **kwargs)'],
          ['/usr/local/lib/python3.12/dist-packages/vllm/v1/worker/gpu_worker.py', 165, 'init_device', 'raise ValueError('],
        ], 'ValueError: Free memory on device (12.31/79.19 GiB) on startup is less than desired GPU memory utilization (0.98, 77.61 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.', null)
          .map((line) => `(EngineCore_DP0 pid=812) ${line}`),
      ],
      traceback([...demoFrames, ['/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core_client.py', 536, '__init__', 'self._init_engines_direct(']],
        'RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}'),
      childFailed(1), done(1)),
    kind: 'out_of_memory',
    contains: ['not free enough', 'another process holds memory', 'ValueError: Free memory on device (12.31/79.19 GiB) on startup is less than desired GPU memory utilization'],
  },
  {
    name: 'reads a rank killed with -9 under torchrun (the kernel\'s OOM killer) as out_of_memory of the host',
    exitCode: 1,
    log: join(loading, childFailed(-9), done(1)),
    kind: 'out_of_memory',
    contains: ['out of host memory', 'rank 0 killed by SIGKILL', 'Signal 9 (SIGKILL) received by PID 431'],
  },
  {
    name: 'reads exit 137 without OOMKilled as a container killed by a signal, not as out of memory',
    exitCode: 137,
    log: join(loading),
    kind: 'container_failed',
    contains: ['killed by a signal (exit 137 = SIGKILL), not an out-of-memory kill', 'OOMKilled=false', 'docker kill', 'host shutdown', 'Loading base model checkpoint'],
    excludes: ['out of host memory'],
  },
  {
    name: 'says when only torchrun was SIGKILLed and the container\'s shell recorded 137',
    exitCode: 137,
    log: join(loading, done(137)),
    kind: 'container_failed',
    contains: ['killed by a signal (exit 137 = SIGKILL)', 'torchrun itself got SIGKILL'],
  },
  {
    name: 'reads exit 137 with OOMKilled as out_of_memory',
    exitCode: 137,
    oomKilled: true,
    log: join(loading),
    kind: 'out_of_memory',
    contains: ['out of host memory', 'OOM-killed (exit 137)'],
  },
  {
    name: 'reads OOMKilled as out_of_memory even when torchrun survived and exited 1',
    exitCode: 1,
    oomKilled: true,
    log: join(loading, childFailed(-9), done(1)),
    kind: 'out_of_memory',
    contains: ['OOM-killed (exit 1)'],
  },
  {
    name: 'reads argparse\'s rejection of an argument (num_input_frames choices) as bad_input',
    exitCode: 1,
    log: join([
      '[rank0]: usage: transfer.py [-h] [--prompt PROMPT] [--negative_prompt NEGATIVE_PROMPT]',
      '[rank0]: transfer.py: error: argument --num_input_frames: invalid choice: 9 (choose from 1)',
    ], childFailed(2), done(1)),
    kind: 'bad_input',
    contains: ['Cosmos rejected the arguments: transfer.py: error: argument --num_input_frames: invalid choice: 9 (choose from 1)'],
  },
  {
    name: 'reads a missing checkpoint (FileNotFoundError) as container_failed with the exception',
    exitCode: 1,
    log: join(loading, traceback([
      [`/workspace/${TRANSFER}`, 433, '<module>', 'demo(args, control_inputs)'],
      [`/workspace/${TRANSFER}`, 257, 'demo', 'pipeline = DiffusionControl2WorldGenerationPipeline('],
      ['/usr/local/lib/python3.12/dist-packages/torch/serialization.py', 759, '__init__', 'super().__init__(open(name, mode))'],
    ], "FileNotFoundError: [Errno 2] No such file or directory: 'checkpoints/nvidia/Cosmos-Transfer1-7B/base_model.pt'"), childFailed(1), done(1)),
    kind: 'container_failed',
    contains: ["exited with code 1: FileNotFoundError: [Errno 2] No such file or directory: 'checkpoints/nvidia/Cosmos-Transfer1-7B/base_model.pt'"],
  },
  {
    name: 'reads any other ValueError as container_failed, not bad_input',
    exitCode: 1,
    log: join(loading, traceback(demoFrames, 'ValueError: Unsupported number of views: 3'), childFailed(1), done(1)),
    kind: 'container_failed',
    contains: ['exited with code 1: ValueError: Unsupported number of views: 3'],
  },
  {
    name: 'reads a generic exception as container_failed with its headline and the log tail',
    exitCode: 1,
    log: join(loading, traceback(demoFrames, "KeyError: 'RANK'"), childFailed(1), done(1)),
    kind: 'container_failed',
    contains: ["the container exited with code 1: KeyError: 'RANK'", 'Root Cause (first observed failure):'],
    excludes: ['COSMOS_COMPLETE', 'exited with code 1: torch.distributed'],
  },
  {
    name: 'names the signal torchrun reports when a worker died without a Python traceback',
    exitCode: 1,
    log: join(loading, childFailed(-11), done(1)),
    kind: 'container_failed',
    contains: ['torchrun reports a worker killed by SIGSEGV (Signal 11 (SIGSEGV) received by PID 431)'],
  },
];

/** validate_controlnet_specs() and friends (cosmos-transfer1@5005e82 inference_utils.py, transfer.py, pipeline). */
const validationErrors = [
  "ValueError: Must have 'input_video' specified if sigma_max < 80",
  "ValueError: depth controlnet must have 'input_control' video specified if no 'input_video' specified.",
  "ValueError: Invalid hint_key: normals. Must be one of ['vis', 'seg', 'edge', 'depth', 'keypoint', 'upscale', 'hdmap', 'lidar']",
  'ValueError: No default distilled checkpoint for depth. Users must specify ckpt_path in config.',
  'ValueError: Control weight for seg must be a valid non-negative float or a path to a .pt file.',
  'ValueError: Weight map must be 2D or 3D, got shape torch.Size([1, 2, 3, 4])',
  'AssertionError: Saving input noise is not supported for distilled models',
  'AssertionError: Distilled model only supports single control input',
];

describe('classifyContainerFailure', () => {
  it.each(cases)('$name', ({ exitCode, log, oomKilled, kind, contains, excludes }) => {
    const failure = classifyContainerFailure(exitCode, log, oomKilled, upsamplerFailures);
    expect(failure.kind).toBe(kind);
    for (const text of contains) expect(failure.message).toContain(text);
    for (const text of excludes ?? []) expect(failure.message).not.toContain(text);
  });

  it.each(validationErrors)('reads Cosmos\'s own spec validation error as bad_input: %s', (error) => {
    const log = join(argsEcho('A quiet street'), traceback(validationFrames, error), childFailed(1), done(1));
    expect(classifyContainerFailure(1, log, false, upsamplerFailures)).toMatchObject({ kind: 'bad_input', message: `Cosmos rejected the job: ${error}` });
  });

  it('reads the chained control-weight error (non-negative, then re-raised) as bad_input', () => {
    const log = join(
      traceback(validationFrames, 'ValueError: Control weight for edge must be non-negative.'),
      '[rank0]: ',
      '[rank0]: During handling of the above exception, another exception occurred:',
      traceback(validationFrames, 'ValueError: Control weight for edge must be a valid non-negative float or a path to a .pt file.'),
      childFailed(1), done(1),
    );
    expect(classifyContainerFailure(1, log, false, upsamplerFailures).kind).toBe('bad_input');
  });

  it('reads the message-less --is_av_sample assertion of the distilled model by its source line as bad_input', () => {
    const log = join(traceback([[`/workspace/${TRANSFER}`, 433, '<module>', 'demo(args, control_inputs)'], [`/workspace/${TRANSFER}`, 236, 'demo', 'assert not cfg.is_av_sample']], 'AssertionError'), childFailed(1), done(1));
    expect(classifyContainerFailure(1, log, false, upsamplerFailures)).toMatchObject({ kind: 'bad_input', message: 'Cosmos rejected the job: AssertionError (assert not cfg.is_av_sample)' });
  });

  it('does not take a guardrail line that is not a CRITICAL record of the guardrail\'s own file', () => {
    const log = join(
      loguru('INFO', `${TRANSFER}:180:parse_arguments`, 'GUARDRAIL BLOCKED: BLOCKLIST: quoted'),
      loguru('INFO', `${PIPELINE}:738:generate`, 'All prompts failed safety checks'),
      critical('cosmos_transfer1/utils/other.py:1:f', 'All prompts failed safety checks'),
      traceback(demoFrames, 'RuntimeError: boom'), done(1),
    );
    expect(classifyContainerFailure(1, log, false, upsamplerFailures).kind).toBe('container_failed');
  });
});
