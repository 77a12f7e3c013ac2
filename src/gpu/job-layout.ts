/** Where a run's files live on the GPU host; `rel` paths are relative to remote_dir, i.e. to /workspace in the container. */
export function describeJobLayout(remoteDir: string, runId: string) {
  const jobDir = `cosmos-jobs/${runId}`;
  const rel = {
    jobDir,
    inputsDir: `${jobDir}/inputs`,
    outputsDir: `${jobDir}/outputs`,
    specPath: `${jobDir}/inputs/spec.json`,
    logPath: `${jobDir}/run.log`,
  };
  const abs = (path: string) => `${remoteDir}/${path}`;
  return {
    rel,
    abs: {
      jobDir: abs(rel.jobDir), inputsDir: abs(rel.inputsDir), outputsDir: abs(rel.outputsDir),
      specPath: abs(rel.specPath), logPath: abs(rel.logPath),
      /** The host's env for `docker run --env-file`, mode 0600. */
      envFile: abs(`${jobDir}/.container.env`),
    },
  };
}

export type JobLayout = ReturnType<typeof describeJobLayout>;

export const cacheDir = (remoteDir: string) => `${remoteDir}/cosmos-cache/sha256`;

/** From cosmos-jobs/<run>/inputs/ back to the cache; relative so the link resolves both on the host and in the container. */
export const cacheLinkTarget = (sha256: string) => `../../../cosmos-cache/sha256/${sha256}`;
