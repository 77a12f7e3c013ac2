import { runNvidiaSmi } from './nvidia-smi-cli.js';
import { parseSimHome } from './sim-home.js';

const { home, args } = parseSimHome(process.argv.slice(2));
process.exitCode = runNvidiaSmi(home, args);
