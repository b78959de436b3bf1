import Link from "next/link";

export default function NotFound() {
  return (
    <main className="mx-auto max-w-lg p-10 text-center">
      <h1 className="text-2xl font-semibold">Not found</h1>
      <p className="mt-3 text-slate-600">That page or item does not exist.</p>
      <Link href="/" className="mt-6 inline-block text-indigo-600 underline">
        Back to Liftoff
      </Link>
    </main>
  );
}
