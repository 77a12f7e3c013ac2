import { defineSignal, setCurrentDetails, setHandler } from '@temporalio/workflow';
import { runProgressSignalName, type RunProgressUpdate } from './types.js';

export const runProgressSignal = defineSignal<[RunProgressUpdate]>(runProgressSignalName);

/** Shows the stage and percent the activities report in the Web UI's "Current details". */
export function showProgressInDetails(host: () => string): void {
  setHandler(runProgressSignal, (update) => {
    setCurrentDetails(`**${update.stage}** ${Math.round(update.progress * 100)}% · run \`${update.runId}\` on \`${host()}\``);
  });
}
