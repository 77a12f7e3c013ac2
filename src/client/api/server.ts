import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';

export interface ApiServerOptions { bind: string; port: number; token: string | undefined }
export interface ApiServer { url: string; port: number; close(): Promise<void> }

export function isLoopback(bind: string): boolean {
  if (bind === 'localhost' || bind === '::1') return true;
  return isIP(bind) === 4 && bind.startsWith('127.');
}

/** Serves the app; an address reachable from other machines needs a token, or the server does not start. */
export async function startApiServer(app: Hono, options: ApiServerOptions): Promise<ApiServer> {
  if (!isLoopback(options.bind) && !options.token) {
    throw new Error(`refusing to serve the API on ${options.bind} without a token: set [api] token or COSMOS_API_TOKEN, or bind 127.0.0.1`);
  }
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: options.bind, port: options.port }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.bind.includes(':') ? `[${options.bind}]` : options.bind;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      // Event streams stay open until their run ends; cut them so shutdown does not wait for a GPU job.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
