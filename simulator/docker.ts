import { runDocker } from './docker-cli.js';
import { parseSimHome } from './sim-home.js';

process.stdout.on('error', () => process.exit(0));
const { home, args } = parseSimHome(process.argv.slice(2));
void runDocker(home, args).then((code) => { process.exitCode = code; });
