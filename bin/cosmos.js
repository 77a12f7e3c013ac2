#!/usr/bin/env node
import { statSync } from 'node:fs';

// Commands that only read PostgreSQL start from the bundle `npm run build` writes (dist/cli-bundle), about twice as
// fast; everything else, and any build newer than the bundle (a plain `tsc`), runs the modules in dist/src.
const bundled = new Set([undefined, '--help', '-h', 'help', 'list', 'search', 'show']);
const modified = (path) => {
  try {
    return statSync(new URL(path, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
const fresh = () => modified('../dist/cli-bundle/main.js') >= modified('../dist/src/client/cli/main.js');
await import(bundled.has(process.argv[2]) && fresh() ? '../dist/cli-bundle/main.js' : '../dist/src/client/cli/main.js');
