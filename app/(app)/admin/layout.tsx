import type { ReactNode } from "react";
import { requireAdmin } from "@/app/_lib/session";

/**
 * Everything under /admin answers 403 to non-admins. Not a gate on its own:
 * Next renders a page beside its layout and streams the page's payload in the
 * 403 body, so every page checks again (requireAdmin) before it reads, and the
 * reads themselves take the actor and assert the role.
 */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  await requireAdmin();
  return children;
}
