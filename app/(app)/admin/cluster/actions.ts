"use server";

import { z } from "zod";
import { defineAction } from "@/app/_lib/action";
import { localNode } from "@/lib/runtime";
import { runJobNow } from "@/lib/scheduler";

export const runJobNowAction = defineAction(
  {
    name: "job.run_now",
    role: "admin",
    input: z.object({ name: z.string().trim().min(1).max(100) }),
  },
  ({ db, actor, input }) => runJobNow(db, localNode().scheduler, actor, input.name),
  { revalidate: () => ["/admin/cluster"] },
);
