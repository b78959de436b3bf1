import Link from "next/link";
import type { ReactNode } from "react";

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-wrap items-center justify-between gap-3">
      <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
      <div className="flex gap-2">{children}</div>
    </div>
  );
}

export function Panel({ title, children }: { title?: string; children: ReactNode }) {
  return (
    <section className="mb-6 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      {title && <h2 className="mb-4 text-lg font-medium">{title}</h2>}
      {children}
    </section>
  );
}

export function ButtonLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <Link
      href={href}
      className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500"
    >
      {children}
    </Link>
  );
}

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="mb-3">
      {label}
      {children}
    </label>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="text-sm text-slate-500">{children}</p>;
}

export function Badge({ children }: { children: ReactNode }) {
  return (
    <span className="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">
      {children}
    </span>
  );
}

export function formatTime(value: Date | null): string {
  return value ? value.toISOString().replace("T", " ").slice(0, 16) + " UTC" : "never";
}

export function LinkList({
  items,
  empty,
  testId,
}: {
  items: { href: string; label: string; note?: string }[];
  empty: string;
  testId?: string;
}) {
  if (items.length === 0) return <Empty>{empty}</Empty>;
  return (
    <ul className="space-y-1 text-sm" data-testid={testId}>
      {items.map((item) => (
        <li key={item.href}>
          <Link className="text-indigo-700 hover:underline" href={item.href}>
            {item.label}
          </Link>
          {item.note && <Badge>{item.note}</Badge>}
        </li>
      ))}
    </ul>
  );
}
