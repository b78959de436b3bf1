"use server";

import { defineAction } from "@/app/_lib/action";
import {
  addCardToDashboard,
  addDashboardCardInput,
  createDashboard,
  dashboardInput,
  dashboardUpdate,
  moveDashboardCard,
  moveDashboardCardInput,
  removeDashboardCard,
  removeDashboardCardInput,
  updateDashboard,
} from "@/lib/content";

const dashboardPaths = (input: { dashboardId: number }) => [`/dashboards/${input.dashboardId}`];

export const createDashboardAction = defineAction(
  { name: "dashboard.create", role: "user", input: dashboardInput },
  ({ db, actor, input }) => createDashboard(db, actor, input),
  { revalidate: () => ["/dashboards", "/"], redirectTo: (row) => `/dashboards/${row.id}` },
);

export const updateDashboardAction = defineAction(
  { name: "dashboard.update", role: "user", input: dashboardUpdate },
  async ({ db, actor, input: { id, ...input } }) => {
    await updateDashboard(db, actor, id, input);
    return null;
  },
  { revalidate: (_data, input) => ["/dashboards", `/dashboards/${input.id}`] },
);

export const addDashboardCardAction = defineAction(
  { name: "dashboard.add_card", role: "user", input: addDashboardCardInput },
  ({ db, actor, input: { dashboardId, cardId, ...placement } }) =>
    addCardToDashboard(db, actor, dashboardId, cardId, placement),
  { revalidate: (_data, input) => dashboardPaths(input) },
);

export const moveDashboardCardAction = defineAction(
  { name: "dashboard.move_card", role: "user", input: moveDashboardCardInput },
  async ({ db, actor, input: { dashboardId, dashboardCardId, ...placement } }) => {
    await moveDashboardCard(db, actor, dashboardId, dashboardCardId, placement);
    return null;
  },
  { revalidate: (_data, input) => dashboardPaths(input) },
);

export const removeDashboardCardAction = defineAction(
  { name: "dashboard.remove_card", role: "user", input: removeDashboardCardInput },
  async ({ db, actor, input }) => {
    await removeDashboardCard(db, actor, input.dashboardId, input.dashboardCardId);
    return null;
  },
  { revalidate: (_data, input) => dashboardPaths(input) },
);
