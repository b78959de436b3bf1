export * from "./inputs";
export { createCollection, updateCollection } from "./collections";
export { createCard, updateCard, recordCardView } from "./cards";
export {
  addCardToDashboard,
  createDashboard,
  moveDashboardCard,
  recordDashboardView,
  removeDashboardCard,
  updateDashboard,
} from "./dashboards";
