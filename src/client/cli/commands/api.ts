import { loadConfig } from '../../../config.js';
import { migrateDb } from '../../../db/client.js';
import { resolveEndpoints } from '../../../services/endpoints.js';
import { openApiServer, waitForStopSignal } from '../../api/serve-api.js';
import { createOutput } from '../output.js';
import { galleryLink, withApiFlags } from './dev.js';

export const apiHelp = `Usage: cosmos api [--port N] [--bind ADDRESS]

Serves the HTTP API and the gallery against the configured stack ([database], [temporal]) or the embedded
stack a running \`cosmos dev\` left in the data directory, after applying pending database migrations.
It always has a token: [api] token or COSMOS_API_TOKEN, or else one it makes for the data directory
(<data_dir>/api-token, readable by you only) and prints in the gallery URL. Clients send it as
"Authorization: Bearer <token>"; the gallery trades it once for a session cookie.

Options:
  --port N         (default: [api] port, 8700; 0 picks a free one)
  --bind ADDRESS   (default: [api] bind, 127.0.0.1)

Example:
  COSMOS_API_TOKEN=… cosmos api --bind 0.0.0.0`;

export async function runApi(args: string[]): Promise<number> {
  const config = withApiFlags(loadConfig(), args);
  const out = createOutput();
  const endpoints = resolveEndpoints(config);
  const stopped = waitForStopSignal();
  // Idempotent; in the compose stack the API starts first, so the worker finds the schema in place.
  await migrateDb(endpoints.databaseUrl);
  const api = await openApiServer(config, endpoints, (error) => out.warn(`API: ${(error as Error).stack ?? String(error)}`));
  try {
    out.line(`cosmos api: ${api.url} (gallery ${galleryLink(api)}, OpenAPI ${api.url}/openapi.json)`);
    await stopped;
    return 0;
  } finally {
    await api.close();
  }
}
