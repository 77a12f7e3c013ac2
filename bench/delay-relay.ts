/**
 * A TCP relay on 127.0.0.1 that behaves like a WAN link for the protocols above TCP: every byte arrives `oneWayMs`
 * after it was sent, and each direction carries at most `rate` bytes per second (what it holds beyond one
 * bandwidth-delay product backs up into the sender's TCP window, as a full link does). Used where the kernel has
 * no `netem` qdisc (this machine's has none); run as its own process so it never shares an event loop with the
 * transport being measured.
 *
 *   npx tsx bench/delay-relay.ts --target 2222 --one-way-ms 20 --rate 125000000   # prints the port it listens on
 */
import { connect, createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

function delayInto(from: Socket, to: Socket, oneWayMs: number, rate: number): void {
  const queue: { due: number; chunk: Buffer }[] = [];
  let queued = 0;
  let lineFreeAt = 0;
  let timer: NodeJS.Timeout | null = null;
  let ended = false;
  const limit = Math.max(4 << 20, (rate * oneWayMs * 2) / 1000);
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0]!.due <= now) {
      const { chunk } = queue.shift()!;
      queued -= chunk.length;
      to.write(chunk);
    }
    if (queued < limit && from.isPaused()) from.resume();
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0]!.due - now));
    else if (ended) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    const now = performance.now();
    // Serialisation at the link rate, then the propagation delay.
    lineFreeAt = Math.max(lineFreeAt, now) + (chunk.length / rate) * 1000;
    queue.push({ due: lineFreeAt + oneWayMs, chunk });
    queued += chunk.length;
    if (queued >= limit) from.pause();
    if (!timer) timer = setTimeout(flush, Math.max(0, queue[0]!.due - now));
  });
  from.on('end', () => {
    ended = true;
    if (!queue.length && !timer) to.end();
  });
}

export function startDelayRelay(options: { targetPort: number; oneWayMs: number; rate: number }): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ port: options.targetPort, host: '127.0.0.1', allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('error', () => { client.destroy(); upstream.destroy(); });
      socket.on('close', () => sockets.delete(socket));
    }
    delayInto(client, upstream, options.oneWayMs, options.rate);
    delayInto(upstream, client, options.oneWayMs, options.rate);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port,
    close: () => { server.close(); for (const socket of sockets) socket.destroy(); },
  })));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { target: { type: 'string' }, 'one-way-ms': { type: 'string', default: '20' }, rate: { type: 'string', default: '125000000' } } });
  const relay = await startDelayRelay({ targetPort: Number(values.target), oneWayMs: Number(values['one-way-ms']), rate: Number(values.rate) });
  console.log(relay.port);
  process.on('SIGTERM', () => { relay.close(); process.exit(0); });
}
