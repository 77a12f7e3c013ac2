import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeTerminalText, renderTerminalText } from '../../src/client/cli/terminal-text.js';
import { createOutput } from '../../src/client/cli/output.js';
import { createPipelineHarness, demoInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos } from '../helpers/run-cosmos.js';
import { seedRun } from '../helpers/seed-records.js';

// OSC 52 asks the terminal to put "hello" on the user's clipboard; CSI 2J clears the screen; 0x9b is a C1 CSI.
const clipboard = '\u001b]52;c;aGVsbG8=\u0007';
const hostile = `harbour ${clipboard} at dawn \u001b[2J\u009b31m \u202eevil\r`;
const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;

describe('escapeTerminalText', () => {
  it('turns every control character into a visible escape and keeps tabs, newlines and other text', () => {
    expect(escapeTerminalText(hostile)).toBe('harbour \\e]52;c;aGVsbG8=\\a at dawn \\e[2J\\x9b31m \\u202eevil\\r');
    expect(escapeTerminalText('two\tcolumns\nand lines, 🚢 ünïcode')).toBe('two\tcolumns\nand lines, 🚢 ünïcode');
  });

  it('keeps our own colours but escapes colour codes that arrive inside text', () => {
    const terminal = { isTTY: true, write: () => true } as unknown as NodeJS.WriteStream;
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      const out = createOutput(terminal);
      expect(renderTerminalText(`${out.red('failed')} \u001b[31mfake`)).toBe('\u001b[31mfailed\u001b[0m \\e[31mfake');
    } finally {
      if (saved !== undefined) process.env.NO_COLOR = saved;
    }
  });
});

/** The built CLI prints stored user text (a prompt written to attack the terminal) without a raw control character. */
describe('cosmos output of hostile stored text', () => {
  let h: PipelineHarness;
  let promptId: string;
  let runId: string;

  beforeAll(async () => {
    const scripts = await mkdtemp(join('/tmp', 'cosmos-evil-smi-'));
    const evil = join(scripts, 'nvidia-smi');
    await writeFile(evil, `#!/bin/sh\nprintf 'NVIDIA-SMI has failed \\033]52;c;aGVsbG8=\\007\\n' >&2\nexit 9\n`);
    await chmod(evil, 0o755);
    await chmod(scripts, 0o755);
    h = await createPipelineHarness({ transport: 'local', moreHosts: [{ nvidia_smi: evil }] });
    promptId = parseJson<{ prompt: { id: string } }>(await runCosmos(h.configPath, ['create', 'prompt', hostile, demoInputs, '--json'])).prompt.id;
    runId = (await seedRun(h.db, promptId, { status: 'failed', errorMessage: `boom ${clipboard}` })).id;
  });
  afterAll(() => h?.close());

  // (`list runs` prints the prompt's name, which is validated ASCII, not its text.)
  for (const args of [['show', 'PROMPT'], ['show', 'RUN'], ['list', 'prompts'], ['search', 'harbour']]) {
    it(`escapes it in \`cosmos ${args.join(' ').replace('PROMPT', '<prompt>').replace('RUN', '<run>')}\``, async () => {
      const real = args.map((a) => (a === 'PROMPT' ? promptId : a === 'RUN' ? runId : a));
      const { code, stdout } = await runCosmos(h.configPath, real);
      expect(code).toBe(0);
      expect(stdout).not.toMatch(raw);
      expect(stdout).toContain('\\e]52;c;aGVsbG8=');
    });
  }

  it('prints --json with every control character as a JSON escape, and the same text after parsing', async () => {
    const { stdout } = await runCosmos(h.configPath, ['show', promptId, '--json']);
    expect(stdout).not.toMatch(raw);
    expect(stdout).toContain('\\u009b31m \\u202eevil');
    expect(JSON.parse(stdout).prompt.promptText).toBe(hostile);
  });

  it('escapes a host\'s error text in `cosmos status`', async () => {
    const { code, stdout } = await runCosmos(h.configPath, ['status']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/unreachable.*NVIDIA-SMI has failed \\e\]52;c;aGVsbG8=\\a/);
    expect(stdout).not.toMatch(raw);
  });

  it('escapes user text echoed in an error message and in a usage error', async () => {
    const { code, stderr } = await runCosmos(h.configPath, ['show', `rs_${clipboard}`]);
    expect(code).toBe(1);
    expect(stderr).toContain('\\e]52');
    expect(stderr).not.toMatch(raw);
    const usage = await runCosmos(h.configPath, ['inference', promptId, '--seed', clipboard]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--seed expects a whole number written in decimal digits, such as 7, got "\\e]52;c;aGVsbG8=\\a"');
    expect(usage.stderr).not.toMatch(raw);
  });
});
