export { READ_ONLY_SQLSTATE, tableGuards } from "./guard";
export {
  readOnlyGuardTriggers,
  reconcileReadOnlyGuard,
  removeReadOnlyGuard,
  type GuardTrigger,
} from "./guard-lifecycle";
export { isReadOnlyError, readOnlyRefusal } from "./errors";
export { READ_ONLY_CODE, READ_ONLY_MESSAGE } from "./message";
export {
  disableReadOnly,
  enableReadOnly,
  handOverReadOnly,
  readOnlyStatus,
  releaseLocalLease,
  type EnableOptions,
  type ReadOnlyStatus,
} from "./mode";
export { localReadOnlyState, setLocalReadOnlyState } from "./local-state";
export { readOnlyGuardPlan, type Exemption } from "./tables";
export { setMaintenanceMode } from "./maintenance";
