import { ArgparseExit } from './argparse.js';
import { formatTraceback, PythonException } from './python-traceback.js';
import { createContext } from './sim-context.js';
import { runTransfer } from './transfer.js';
import { runUpsampler } from './upsampler.js';

/** One "python <script> args..." process, as torchrun starts it per rank: dispatches on the script path. */
const SCRIPTS: Record<string, typeof runTransfer> = {
  'cosmos_transfer1/diffusion/inference/transfer.py': runTransfer,
  'cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py': runUpsampler,
};

async function main(): Promise<number> {
  const [script = '', ...args] = process.argv.slice(2);
  const entry = Object.entries(SCRIPTS).find(([suffix]) => script === suffix || script.endsWith(`/${suffix}`));
  if (!entry) {
    process.stderr.write(`/usr/bin/python: can't open file '${script}': [Errno 2] No such file or directory\n`);
    return 2;
  }
  const context = createContext();
  try {
    await entry[1](context, args);
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

main().then((code) => {
  process.exitCode = code;
});
