import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="mx-auto max-w-lg p-10 text-center" data-testid="forbidden">
      <h1 className="text-2xl font-semibold">403 · Administrators only</h1>
      <p className="mt-3 text-slate-600">Your account cannot open this page.</p>
      <Link href="/" className="mt-6 inline-block text-indigo-600 underline">
        Back to Liftoff
      </Link>
    </main>
  );
}
