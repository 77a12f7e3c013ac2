import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig, type Config } from '../../../config.js';
import { startEmbeddedStack } from '../../../services/embedded-stack.js';
import { startWorker } from '../../../worker.js';
import { openApiServer, waitForStopSignal } from '../../api/serve-api.js';
import { createOutput } from '../output.js';
import { parseCommandArgs, parseInteger } from '../args.js';
import { UsageError } from '../usage-error.js';
import { describeError } from '../describe-error.js';

export const devHelp = `Usage: cosmos dev [--port N] [--bind ADDRESS]

Starts everything on this machine: the Temporal dev server (with its Web UI) and PostgreSQL, both embedded and
kept under the data directory, a worker, and the HTTP API with the gallery. Without [[hosts]] in cosmos.toml the
GPU host is the simulator. Prints the URLs; Ctrl-C stops all of it. The next start sees the same prompts and runs.

Options:
  --port N         API port (default: [api] port, 8700; 0 picks a free one)
  --bind ADDRESS   API address (default: [api] bind, 127.0.0.1; other addresses need [api] token)

Example:
  cosmos dev --port 8800`;

export async function runDev(args: string[]): Promise<number> {
  const config = withApiFlags(loadConfig(), args);
  const out = createOutput();
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // A runtime is already installed in this process.
  }
  const stopped = waitForStopSignal();
  const stops: Array<() => Promise<void>> = [];
  try {
    out.line(out.bold('cosmos dev'));
    const stack = await startEmbeddedStack(config, (line) => out.line(`  ${line}`));
    stops.push(stack.stop);
    const withUi: Config = { ...config, temporal: { ...config.temporal, ...(stack.temporalUiUrl ? { ui_url: stack.temporalUiUrl } : {}) } };
    const worker = await startWorker(withUi, stack);
    stops.push(() => worker.shutdown());
    const hosts = config.hosts.map((h) => `${h.name} (${h.transport}${config.simulatedHost ? ', simulator' : ''})`).join(', ');
    out.line(`  GPU host        ${hosts}`);
    const api = await openApiServer(withUi, stack, (error) => out.warn(`API: ${(error as Error).stack ?? String(error)}`));
    stops.push(api.close);
    out.line(`  API             ${api.url}  (OpenAPI: ${api.url}/openapi.json; Authorization: Bearer <token>)`);
    out.line(`  Gallery         ${galleryLink(api)}`);
    if (stack.temporalUiUrl) out.line(`  Temporal Web UI ${stack.temporalUiUrl}`);
    out.line(`  Data            ${config.dataDir}`);
    out.line(out.dim('Ctrl-C stops everything.'));
    const failed = worker.done.then(() => 'the worker stopped', (error: unknown) => `the worker failed: ${(error as Error).message}`);
    const reason = await Promise.race([stopped, failed]);
    if (reason !== 'SIGINT' && reason !== 'SIGTERM') {
      out.warn(`${reason}; stopping`);
      return 1;
    }
    out.line(`${reason === 'SIGINT' ? '\n' : ''}stopping…`);
    return 0;
  } catch (error) {
    // The CLI's error line is one line; a server that did not start needs its output and every cause.
    const debug = process.env.COSMOS_DEBUG ? `\n${(error as Error).stack}` : '';
    process.stderr.write(`cosmos: ${describeError(error)}${debug}\n`);
    return 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => out.warn(`while stopping: ${(error as Error).message}`));
  }
}


/** With a token made for the data directory, the whole URL (the page trades it for a cookie); else a reminder. */
export function galleryLink(api: { url: string; token: string; generatedToken: boolean }): string {
  return `${api.url}/#token=${api.generatedToken ? api.token : '<your [api] token>'}`;
}

export function withApiFlags(config: Config, args: string[]): Config {
  const { values, positionals } = parseCommandArgs(args, { port: { type: 'string' }, bind: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = values.port === undefined ? config.api.port : parseInteger('--port', values.port, 0, 65535);
  return { ...config, api: { ...config.api, port, ...(values.bind !== undefined ? { bind: values.bind } : {}) } };
}
