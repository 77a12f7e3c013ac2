import { createServer } from 'node:net';

/** Asks the OS for a free TCP port on `host` by binding port 0 and closing again. */
export function pickFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read a free port'))));
    });
  });
}

/** Throws if something already listens on host:port (a readiness probe would otherwise talk to it). */
export function assertPortFree(host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`${what}: port ${host}:${port} is not free (${err.code ?? err.message})`)),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
