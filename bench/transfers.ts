/**
 * Upload and download throughput of our SSH transport next to OpenSSH `scp`, `sftp -b` and paramiko, on loopback
 * and on an emulated WAN link, each tool interleaved with the others round by round. Prints min/median/max MB/s.
 *
 *   npx tsx bench/transfers.ts [--size-mb 300] [--rounds 3] [--rtt-ms 40] [--rate 1gbit] [--links loopback,wan]
 *
 * The WAN link is bench/delay-relay.ts between every client and sshd: half the round trip each way and the rate
 * cap, applied to the byte stream (this machine's kernel has no `netem` qdisc, so `tc` cannot add delay). It
 * shapes what SSH and SFTP see — window and request round trips — though not TCP's own congestion control.
 * Everything stays on 127.0.0.1. paramiko comes from pip (`pip install paramiko`).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { printTable } from './print-table.js';
import { summarize } from './timing.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '300' }, rounds: { type: 'string', default: '3' },
    'rtt-ms': { type: 'string', default: '40' }, rate: { type: 'string', default: '1gbit' },
    links: { type: 'string', default: 'loopback,wan' }, tools: { type: 'string', default: 'ours,scp,sftp,paramiko' },
  },
});

interface Sample { tool: string; direction: string; mbPerSecond: number }

async function runRound(oneWayMs: number): Promise<Sample[]> {
  const args = [process.execPath, '--import', 'tsx', resolve(root, 'bench/transfer-round.ts'),
    '--size-mb', values['size-mb']!, '--rounds', values.rounds!, '--tools', values.tools!,
    '--one-way-ms', String(oneWayMs), '--rate', String(parseRate(values.rate!))];
  const child = spawn(args[0]!, args.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`transfer round (${oneWayMs ? 'wan' : 'loopback'}) exited ${code}`);
  return out.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Sample);
}

/** `1gbit`, `100mbit`, or bytes per second. */
function parseRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(k|m|g)?bit$/i.exec(text);
  if (!match) return Number(text);
  return (Number(match[1]) * { k: 1e3, m: 1e6, g: 1e9, '': 1 }[(match[2] ?? '').toLowerCase() as 'k' | 'm' | 'g' | '']) / 8;
}

const summarizeOrZero = (values: number[]) => (values.length ? summarize(values) : { min: 0, median: 0, max: 0 });

const rows: string[][] = [];
for (const link of values.links!.split(',')) {
  const samples = await runRound(link === 'wan' ? Number(values['rtt-ms']) / 2 : 0);
  const label = link === 'wan' ? `wan (${values['rtt-ms']} ms RTT, ${values.rate})` : 'loopback';
  for (const direction of ['upload', 'download']) {
    const scp = summarizeOrZero(samples.filter((s) => s.tool === 'scp' && s.direction === direction).map((s) => s.mbPerSecond));
    for (const tool of values.tools!.split(',')) {
      const figures = summarizeOrZero(samples.filter((s) => s.tool === tool && s.direction === direction).map((s) => s.mbPerSecond));
      rows.push([`${label} ${direction}`, tool, figures.min.toFixed(0), figures.median.toFixed(0), figures.max.toFixed(0),
        scp.median ? `${(figures.median / scp.median).toFixed(2)}×` : '-']);
    }
  }
}
console.log(`\n${values['size-mb']} MB random file, ${values.rounds} interleaved rounds, MB/s (1 MB = 10^6 bytes)`);
printTable(['link / direction', 'tool', 'min', 'median', 'max', 'vs scp'], rows);
