import { heartbeat } from '@temporalio/activity';

/**
 * Heartbeats every second while `action` runs, so no remote step of a transfer (stat, mkdir, sha256sum of a large
 * file, mv, ln) is silent past a short heartbeat timeout. Each such step is bounded by the transport's own
 * timeouts, so this never hides a hang; a dead worker stops heartbeating and is noticed as before.
 */
export async function keepHeartbeating<T>(details: Record<string, unknown>, action: () => Promise<T>): Promise<T> {
  heartbeat(details);
  const timer = setInterval(() => heartbeat(details), 1000);
  try {
    return await action();
  } finally {
    clearInterval(timer);
  }
}
