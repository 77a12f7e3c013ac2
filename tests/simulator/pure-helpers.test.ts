import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeMp4File } from '../../src/gpu/mp4.js';
import { ArgparseExit, parseArgs } from '../../simulator/argparse.js';
import { parseDockerTime, parseRfc3339Nano } from '../../simulator/clock.js';
import { renderTemplate } from '../../simulator/go-template.js';
import { writeMinimalMp4 } from '../../simulator/mp4-writer.js';
import { dumpsPython } from '../../simulator/python-json.js';
import { renderBar } from '../../simulator/tqdm.js';
import { TRANSFER_ARGS } from '../../simulator/transfer-args.js';
import { chooseBucket, countChunks } from '../../simulator/video-input.js';

describe('docker --format templates', () => {
  const data = { State: { Status: 'running', ExitCode: 0, Running: true }, Config: { Labels: { 'cosmos.run_id': 'rs_1' } }, Args: ['a', 'b'] };

  it('renders fields, json, index and Go-style values', () => {
    expect(renderTemplate('{{.State.Status}}', data)).toBe('running');
    expect(renderTemplate('{{json .State}}', data)).toBe('{"Status":"running","ExitCode":0,"Running":true}');
    expect(renderTemplate('{{index .Config.Labels "cosmos.run_id"}}/{{.State.ExitCode}}', data)).toBe('rs_1/0');
    expect(renderTemplate('{{.Args}} {{.Config.Labels}} {{.Missing}}', data)).toBe('[a b] map[cosmos.run_id:rs_1] <no value>');
    expect(renderTemplate('x {{- .State.Running -}} y', data)).toBe('xtruey');
  });

  it('rejects an unknown function', () => {
    expect(() => renderTemplate('{{nope .State}}', data)).toThrow('function "nope" not defined');
  });
});

describe('docker time arguments', () => {
  const now = parseRfc3339Nano('2025-06-07T10:00:00Z');

  it('reads RFC 3339 with nanoseconds, unix seconds and durations', () => {
    expect(parseDockerTime('2025-06-07T10:21:25.123456789Z')).toBe(parseRfc3339Nano('2025-06-07T10:21:25Z') + 123_456_789n);
    expect(parseDockerTime('2025-06-07T12:21:25+02:00')).toBe(parseRfc3339Nano('2025-06-07T10:21:25Z'));
    expect(parseDockerTime('1749291685.5')).toBe(1_749_291_685_500_000_000n);
    expect(parseDockerTime('90s', now)).toBe(now - 90_000_000_000n);
    expect(parseDockerTime('1h30m', now)).toBe(now - 5_400_000_000_000n);
    expect(() => parseDockerTime('soon')).toThrow('failed to parse value as time or duration');
  });
});

describe('fake model helpers', () => {
  it('draws tqdm bars like tqdm', () => {
    expect(renderBar(0, 2, 0)).toBe('  0%|          | 0/2 [00:00<?, ?it/s]');
    expect(renderBar(1, 2, 5)).toBe(' 50%|█████     | 1/2 [00:05<00:05,  5.00s/it]');
    expect(renderBar(2, 2, 600)).toBe('100%|██████████| 2/2 [10:00<00:00, 300.00s/it]');
  });

  it('chooses the aspect bucket and the chunk count like Cosmos', () => {
    expect(chooseBucket({ width: 1920, height: 1080 })).toEqual({ width: 1280, height: 704 });
    expect(chooseBucket({ width: 640, height: 480 })).toEqual({ width: 960, height: 704 });
    expect(chooseBucket({ width: 512, height: 512 })).toEqual({ width: 960, height: 960 });
    expect(chooseBucket({ width: 1080, height: 1920 })).toEqual({ width: 704, height: 1280 });
    expect([1, 121, 122, 241, 242].map(countChunks)).toEqual([1, 1, 2, 2, 3]);
  });

  it('dumps arguments like Python json.dumps(indent=4)', () => {
    expect(dumpsPython({ sigma_max: 70, seed: 1, prompt: 'café', empty: {} }, new Set(['sigma_max']))).toBe(
      '{\n    "sigma_max": 70.0,\n    "seed": 1,\n    "prompt": "caf\\u00e9",\n    "empty": {}\n}',
    );
  });

  it('parses transfer.py arguments with argparse semantics', () => {
    const args = parseArgs('transfer.py', TRANSFER_ARGS, ['--controlnet_specs', 's.json', '--seed=4', '--guid', '7.5', '--offload_text_encoder_model']);
    expect(args).toMatchObject({ controlnet_specs: 's.json', seed: 4, guidance: 7.5, offload_text_encoder_model: true, fps: 24 });
    const fail = (argv: string[]) => {
      try {
        parseArgs('transfer.py', TRANSFER_ARGS, argv);
      } catch (error) {
        return error as ArgparseExit;
      }
      throw new Error('expected an argparse error');
    };
    expect(fail([]).output).toContain('transfer.py: error: the following arguments are required: --controlnet_specs');
    expect(fail(['--controlnet_specs', 's', '--seed', 'x']).output).toContain("error: argument --seed: invalid int value: 'x'");
    expect(fail(['--controlnet_specs', 's', '--offload', 'x']).output).toContain('ambiguous option: --offload could match');
    expect(fail(['--controlnet_specs', 's', 'stray']).exitCode).toBe(2);
  });

  it('writes a minimal MP4 that probes with the right size, frames and fps when ffmpeg is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mp4-writer-'));
    try {
      await writeMinimalMp4(join(dir, 'v.mp4'), 3840, 2112, 121, 24);
      expect(await probeMp4File(join(dir, 'v.mp4'))).toMatchObject({ width: 3840, height: 2112, frames: 121, fps: 24 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
