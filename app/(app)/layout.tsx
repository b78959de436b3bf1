import Link from "next/link";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { getDatabaseHandle } from "@/lib/runtime";
import { requireActor } from "@/app/_lib/session";
import { needsSetup } from "@/lib/auth";
import { readOnlyView } from "@/app/_lib/read-only-view";
import { ReadOnlyProvider } from "./_components/read-only-banner";
import { SignOutButton } from "./sign-out-button";

const links = [
  { href: "/collections", label: "Collections" },
  { href: "/cards", label: "Questions" },
  { href: "/dashboards", label: "Dashboards" },
];

const adminLinks = [
  { href: "/admin/users", label: "Users" },
  { href: "/admin/data-sources", label: "Data sources" },
  { href: "/admin/settings", label: "Settings" },
  { href: "/admin/cluster", label: "Cluster" },
  { href: "/admin/audit", label: "Audit log" },
];

export default async function AppLayout({ children }: { children: ReactNode }) {
  const handle = await getDatabaseHandle();
  if (await needsSetup(handle.db)) redirect("/setup");
  const actor = await requireActor();
  return (
    <ReadOnlyProvider initial={await readOnlyView(handle)}>
      <div className="min-h-screen">
        <header className="border-b border-slate-200 bg-white">
          <nav className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-5 gap-y-2 px-6 py-3 text-sm">
            <Link href="/" className="mr-3 text-base font-semibold">
              Liftoff
            </Link>
            {links.map((link) => (
              <Link
                key={link.href}
                href={link.href}
                className="text-slate-700 hover:text-indigo-600"
              >
                {link.label}
              </Link>
            ))}
            {actor.role === "admin" && (
              <span className="flex gap-5 border-l border-slate-200 pl-5" data-testid="admin-nav">
                {adminLinks.map((link) => (
                  <Link
                    key={link.href}
                    href={link.href}
                    className="text-slate-700 hover:text-indigo-600"
                  >
                    {link.label}
                  </Link>
                ))}
              </span>
            )}
            <span className="ml-auto flex items-center gap-3 text-slate-600">
              <span data-testid="current-user">
                {actor.name} ({actor.role})
              </span>
              <SignOutButton />
            </span>
          </nav>
        </header>
        <main className="mx-auto max-w-6xl px-6 py-8">{children}</main>
      </div>
    </ReadOnlyProvider>
  );
}
