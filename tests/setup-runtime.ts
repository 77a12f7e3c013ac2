import { DefaultLogger, Runtime } from '@temporalio/worker';

// In-process workers would otherwise log every state change and every expected activity failure.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // Already installed in this process by an earlier file.
}
