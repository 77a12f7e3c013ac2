import { ArgparseExit } from './argparse.js';
import { formatTraceback, PythonException } from './python-traceback.js';
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
  const [script = '', ...args] = dropInterpreterFlags(argv);
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
  }
}

/** `python -u script.py` and the like: interpreter switches before the script do not matter here. */
function dropInterpreterFlags(argv: string[]): string[] {
  const first = argv.findIndex((arg) => !/^-[uBOsEI]+$/.test(arg));
  return first === -1 ? [] : argv.slice(first);
}

main().then((code) => {
  process.exitCode = code;
});
