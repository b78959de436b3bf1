"use server";

import { z } from "zod";
import { defineAction } from "@/app/_lib/action";
import { saveCloudKey } from "@/lib/migration";
import { setMaintenanceMode } from "@/lib/read-only";
import { getDatabaseHandle } from "@/lib/runtime";
import { instanceSecretKey } from "@/lib/secrets/key";

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

/** Pastes or replaces the migration key the cloud store issued; stored as a secret setting. */
export const saveCloudKeyAction = defineAction(
  {
    name: "cloud_key.save",
    role: "admin",
    input: z.object({ key: z.string().trim().min(1, "is required") }),
  },
  async ({ actor, db, input }) => {
    await saveCloudKey(db, actor, input.key, instanceSecretKey());
    return null;
  },
  { revalidate: () => ["/admin/settings"] },
);

export const removeCloudKeyAction = defineAction(
  { name: "cloud_key.remove", role: "admin", input: z.object({}) },
  async ({ actor, db }) => {
    await saveCloudKey(db, actor, null, instanceSecretKey());
    return null;
  },
  { revalidate: () => ["/admin/settings"] },
);
