import type { ReactNode } from "react";
import { requireAdmin } from "@/app/_lib/session";

/** Everything under /admin answers 403 to non-admins; each action checks again on its own. */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  await requireAdmin();
  return children;
}
