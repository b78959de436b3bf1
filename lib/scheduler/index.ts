export { bossSchema, createBoss } from "./boss";
export {
  bossInstalled,
  isSchedulerPaused,
  nodeStaleAfterSeconds,
  pauseScheduler,
  resumeScheduler,
  type PauseOptions,
} from "./control";
export { builtInJobs, loginHistoryRetentionDays, type JobDefinition } from "./jobs";
export { jobOverview, type JobOverview } from "./overview";
export { JobRunner, type RunnerOptions } from "./runner";
export { runJobNow } from "./run-now";
