"use server";

import { z } from "zod";
import { userRoles } from "@/db/schema";
import { defineAction } from "@/app/_lib/action";
import { id } from "@/lib/content";
import { createUser, updateUserAccess, userInput } from "@/lib/users";

export const createUserAction = defineAction(
  { name: "user.create", role: "admin", input: userInput },
  ({ db, actor, input }) => createUser(db, actor, input),
  { revalidate: () => ["/admin/users"] },
);

export const changeUserRoleAction = defineAction(
  {
    name: "user.change_role",
    role: "admin",
    input: z.object({ userId: id, role: z.enum(userRoles) }),
  },
  async ({ db, actor, input }) => {
    await updateUserAccess(db, actor, input.userId, { role: input.role });
    return null;
  },
  { revalidate: () => ["/admin/users"] },
);

export const setUserActiveAction = defineAction(
  {
    name: "user.set_active",
    role: "admin",
    input: z.object({
      userId: id,
      active: z.enum(["true", "false"]).transform((v) => v === "true"),
    }),
  },
  async ({ db, actor, input }) => {
    await updateUserAccess(db, actor, input.userId, { active: input.active });
    return null;
  },
  { revalidate: () => ["/admin/users"] },
);
