/**
 * A lean load client in a process of its own: `concurrency` GETs at once (keep-alive node:http, one socket each),
 * `rounds` times, each response read whole and parsed as JSON. Prints the latencies (ms) as one JSON line. Used by
 * listings.ts beside the in-process fetch client, so the client's cost on a 2-core machine shows apart from the
 * server's.
 *
 *   node --import tsx bench/http-load.ts <base-url> <concurrency> <rounds> <path> [<path> …]
 */
import { Agent, get } from 'node:http';

const [base, concurrencyArg, roundsArg, ...paths] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const rounds = Number(roundsArg);
if (!base || !(concurrency > 0) || !(rounds > 0) || paths.length === 0) throw new Error('usage: http-load <base-url> <concurrency> <rounds> <path>…');
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function read(path: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(`${base}${path}`, { agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (response.statusCode !== 200) return reject(new Error(`GET ${path}: ${response.statusCode}`));
        resolve(performance.now() - started);
      });
      response.on('error', reject);
    }).on('error', reject);
  });
}

const latencies: number[] = [];
for (let round = 0; round < rounds; round++) {
  latencies.push(...await Promise.all(Array.from({ length: concurrency }, (_, i) => read(paths[i % paths.length]!))));
}
agent.destroy();
console.log(JSON.stringify({ latencies }));
