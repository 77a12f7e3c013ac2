import { constants } from 'node:os';

export interface WorkerFailure {
  rank: number;
  pid: number;
  exitCode: number;
  signal: NodeJS.Signals | null;
  time: Date;
}

/** The glog-style prefix torch.distributed uses, e.g. `E0607 10:31:02.123000 1234 torch/...py:869] `. */
export function glogPrefix(level: string, where: string, now = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const micros = `${String(now.getMilliseconds()).padStart(3, '0')}000`;
  return `${level}${two(now.getMonth() + 1)}${two(now.getDate())} ${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}.${micros} ${process.pid} ${where}] `;
}

/** What torchrun prints when a worker fails: the agent's error line, its own traceback, and the ChildFailedError summary. */
export function describeChildFailure(script: string, failure: WorkerFailure, host: string): string {
  const exitcode = failure.signal ? -(constants.signals[failure.signal] ?? 0) : failure.exitCode;
  const dist = '/usr/local/lib/python3.12/dist-packages/torch/distributed';
  const stamp = failure.time.toISOString().replace('T', '_').slice(0, 19);
  const traceback = failure.signal
    ? `Signal ${constants.signals[failure.signal] ?? 0} (${failure.signal}) received by PID ${failure.pid}`
    : 'To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html';
  const rule = '='.repeat(60);
  const thin = '-'.repeat(60);
  return [
    `${glogPrefix('E', 'torch/distributed/elastic/multiprocessing/api.py:874')}failed (exitcode: ${exitcode}) local_rank: ${failure.rank} (pid: ${failure.pid}) of binary: /usr/bin/python`,
    'Traceback (most recent call last):',
    '  File "/usr/local/bin/torchrun", line 8, in <module>',
    '    sys.exit(main())',
    `  File "${dist}/elastic/multiprocessing/errors/__init__.py", line 355, in wrapper`,
    '    return f(*args, **kwargs)',
    `  File "${dist}/run.py", line 892, in main`,
    '    run(args)',
    `  File "${dist}/run.py", line 883, in run`,
    '    elastic_launch(',
    `  File "${dist}/launcher/api.py", line 139, in __call__`,
    '    return launch_agent(self._config, self._entrypoint, list(args))',
    `  File "${dist}/launcher/api.py", line 270, in launch_agent`,
    '    raise ChildFailedError(',
    'torch.distributed.elastic.multiprocessing.errors.ChildFailedError: ',
    rule,
    `${script} FAILED`,
    thin,
    'Failures:',
    '  <NO_OTHER_FAILURES>',
    thin,
    'Root Cause (first observed failure):',
    `[0]:`,
    `  time      : ${stamp}`,
    `  host      : ${host}`,
    `  rank      : ${failure.rank} (local_rank: ${failure.rank})`,
    `  exitcode  : ${exitcode} (pid: ${failure.pid})`,
    '  error_file: <N/A>',
    `  traceback : ${traceback}`,
    rule,
    '',
  ].join('\n');
}
