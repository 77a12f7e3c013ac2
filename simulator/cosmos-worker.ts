import { ArgparseExit } from './argparse.js';
import { formatTraceback, PythonException } from './python-traceback.js';
import { flushPythonStdout, setUnbufferedFlag } from './python-stdout.js';
import { createContext, type SimContext } from './sim-context.js';
import { parseSimHome } from './sim-home.js';
import { runTransfer } from './transfer.js';
import { runTransfer25, TRANSFER25_SCRIPT } from './transfer25-run.js';
import { runUpsampler } from './upsampler.js';

/** One `python <script> args...` process (started by torchrun per rank, or by the `python` shim): dispatches on the script path. */
const SCRIPTS: Record<string, (context: SimContext, args: string[], script: string) => Promise<void>> = {
  'cosmos_transfer1/diffusion/inference/transfer.py': runTransfer,
  'cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py': runUpsampler,
  [TRANSFER25_SCRIPT]: runTransfer25,
};

async function main(): Promise<number> {
  const { home, args: argv } = parseSimHome(process.argv.slice(2));
  const { flags, rest } = splitInterpreterFlags(argv);
  setUnbufferedFlag(flags.some((flag) => flag.includes('u')));
  const [script = '', ...args] = rest;
  const entry = Object.entries(SCRIPTS).find(([suffix]) => script === suffix || script.endsWith(`/${suffix}`));
  if (!entry) {
    process.stderr.write(`/usr/bin/python: can't open file '${script}': [Errno 2] No such file or directory\n`);
    return 2;
  }
  const context = createContext(home);
  try {
    await entry[1](context, args, script);
    return 0;
  } catch (error) {
    if (error instanceof ArgparseExit) {
      (error.toStdout ? process.stdout : process.stderr).write(error.output);
      return error.exitCode;
    }
    if (error instanceof PythonException) {
      process.stderr.write(formatTraceback(error, context.tracebackPrefix));
      return 1;
    }
    throw error;
  } finally {
    // The interpreter flushes sys.stdout as it exits, after an uncaught exception's traceback went to stderr.
    flushPythonStdout();
  }
}

/** `python -u script.py` and the like: the interpreter switches before the script (only `-u` matters here). */
function splitInterpreterFlags(argv: string[]): { flags: string[]; rest: string[] } {
  const first = argv.findIndex((arg) => !/^-[uBOsEI]+$/.test(arg));
  return first === -1 ? { flags: argv, rest: [] } : { flags: argv.slice(0, first), rest: argv.slice(first) };
}

main().then((code) => {
  process.exitCode = code;
});
