import type { Config } from '../../config.js';

/** The run's Web UI link; loads the client module (and with it the Temporal SDK) only when a UI is configured. */
export async function webUiLinkFor(config: Config, run: { workflowId: string | null }): Promise<string | null> {
  if (!config.temporal.ui_url || !run.workflowId) return null;
  const { webUiLink } = await import('../runs.js');
  return webUiLink(config, run.workflowId);
}
