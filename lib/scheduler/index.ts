export {
  isSchedulerPaused,
  nodeStaleAfterSeconds,
  pauseScheduler,
  releaseJobsOfDeadNodes,
  resumeScheduler,
  type PauseOptions,
} from "./control";
export { builtInJobs, loginHistoryRetentionDays, type JobDefinition } from "./jobs";
export { SchedulerWorker, type WorkerOptions } from "./worker";
