"use server";

import { z } from "zod";
import { defineAction } from "@/app/_lib/action";
import { setMaintenanceMode } from "@/lib/read-only";
import { getDatabaseHandle } from "@/lib/runtime";

export const setMaintenanceModeAction = defineAction(
  {
    name: "read_only.maintenance",
    role: "admin",
    input: z.object({ enabled: z.enum(["true", "false"]).transform((v) => v === "true") }),
    // Switching it off must work while it is on.
    allowInReadOnly: true,
  },
  async ({ actor, input }) => {
    await setMaintenanceMode(await getDatabaseHandle(), actor, input.enabled);
    return null;
  },
  { revalidate: () => ["/admin/settings", "/admin/cluster"] },
);
