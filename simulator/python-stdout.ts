/**
 * Python's sys.stdout as the fake scripts write to it. CPython buffers it by blocks (io.DEFAULT_BUFFER_SIZE, 8192
 * bytes) when it is not a terminal, a container's pipe included, unless the interpreter runs with `-u` or
 * PYTHONUNBUFFERED is set to a non-empty value (Python's `-u` documentation; torchrun starts every worker as
 * `python -u <script>`: torch/distributed/run.py config_from_args, `cmd_args.append("-u")`). A plain print() then
 * reaches the log only when the buffer fills, when something flushes it (loguru flushes its stream after every
 * record) or when the interpreter exits; a process killed by a signal loses what was still buffered.
 */
const BLOCK_SIZE = 8192;

let unbufferedFlag = false;
let pending = '';

/** The interpreter was started with `-u` (or a combined switch holding it, such as `-uB`). */
export function setUnbufferedFlag(value: boolean): void {
  unbufferedFlag = value;
}

export function stdoutIsBuffered(env: NodeJS.ProcessEnv = process.env, isTty = process.stdout.isTTY === true): boolean {
  return !unbufferedFlag && !isTty && (env.PYTHONUNBUFFERED ?? '') === '';
}

/** `print(...)`: the text (with its newline) goes to the buffer, or straight out when stdout is unbuffered. */
export function pythonPrint(text: string): void {
  if (!stdoutIsBuffered()) {
    process.stdout.write(text);
    return;
  }
  pending += text;
  if (Buffer.byteLength(pending) >= BLOCK_SIZE) flushPythonStdout();
}

/** sys.stdout.flush(): loguru calls it after every record; the interpreter calls it at exit. */
export function flushPythonStdout(): void {
  if (pending === '') return;
  process.stdout.write(pending);
  pending = '';
}
