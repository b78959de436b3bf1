import type { ReactNode } from "react";

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
        <p className="mb-6 text-center text-xl font-semibold tracking-tight">Liftoff</p>
        {children}
      </div>
    </main>
  );
}
