import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { collectCompletionSpecs, renderBashCompletion, renderZshCompletion } from '../completion-scripts.js';
import { UsageError } from '../usage-error.js';

export const completionCommand: Command = {
  options: {},
  help: `Usage: cosmos completion bash|zsh

Prints a completion script for commands, their first words (list prompts|runs, …) and their flags.

Examples:
  source <(cosmos completion bash)                       # in ~/.bashrc
  cosmos completion zsh > "\${fpath[1]}/_cosmos"          # zsh, then restart the shell`,

  async run(args) {
    const { positionals } = parseCommandArgs(args, {});
    const [shell, ...extra] = positionals;
    if ((shell !== 'bash' && shell !== 'zsh') || extra.length > 0) throw new UsageError('expected "bash" or "zsh"');
    const specs = await collectCompletionSpecs();
    process.stdout.write(shell === 'bash' ? renderBashCompletion(specs) : renderZshCompletion(specs));
  },
};
