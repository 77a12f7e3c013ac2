import { commandTable } from './command-table.js';

export interface CompletionSpec { name: string; summary: string; words: string[]; flags: string[] }

/** One entry per first word: its summary, the words it takes first, and every flag it knows. */
export async function collectCompletionSpecs(): Promise<CompletionSpec[]> {
  const specs: CompletionSpec[] = [];
  for (const [key, entry] of Object.entries(commandTable)) {
    const [name, subcommand] = key.split(' ') as [string, string | undefined];
    const command = await entry.load();
    const flags = Object.entries(command.options).flatMap(([long, option]) => [`--${long}`, ...(option.short ? [`-${option.short}`] : [])]);
    specs.push({ name, summary: entry.summary, words: subcommand ? [subcommand] : entry.words ?? [], flags: [...flags, '--help'] });
  }
  return specs;
}

export function renderBashCompletion(specs: CompletionSpec[]): string {
  const cases = specs.map((s) => `    ${s.name}) opts="${s.flags.join(' ')}"; firsts="${s.words.join(' ')}" ;;`).join('\n');
  return `# bash completion for cosmos; load with: source <(cosmos completion bash)
_cosmos() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" opts="" firsts=""
  if [[ \${COMP_CWORD} -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "${specs.map((s) => s.name).join(' ')} --help" -- "$cur") )
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  elif [[ \${COMP_CWORD} -eq 2 && -n "$firsts" ]]; then
    COMPREPLY=( $(compgen -W "$firsts" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o filenames -F _cosmos cosmos
`;
}

export function renderZshCompletion(specs: CompletionSpec[]): string {
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  const commands = specs.map((s) => `    ${quote(`${s.name}:${s.summary.replaceAll(':', '\\:')}`)}`).join('\n');
  const cases = specs.map((s) => `    (${s.name}) opts=(${s.flags.join(' ')}); firsts=(${s.words.join(' ')}) ;;`).join('\n');
  return `#compdef cosmos
# zsh completion for cosmos; load with: source <(cosmos completion zsh), or save as _cosmos in your $fpath
_cosmos() {
  local -a commands opts firsts
  commands=(
${commands}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'cosmos command' commands
    return
  fi
  case \${words[2]} in
${cases}
  esac
  if [[ \${words[CURRENT]} == -* ]]; then
    compadd -- $opts
  elif (( CURRENT == 3 && \${#firsts} > 0 )); then
    compadd -- $firsts
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" == "_cosmos" ]]; then
  _cosmos "$@"
else
  compdef _cosmos cosmos
fi
`;
}
