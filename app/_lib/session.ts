import "server-only";
import { getServerSession } from "next-auth";
import { forbidden, redirect } from "next/navigation";
import { cache } from "react";
import { getDb } from "@/lib/runtime";
import { loadActiveActor, type Actor } from "@/lib/auth";
import { authOptions } from "./auth-options";

/** The signed-in, still active user, or null. One database read per request. */
export const currentActor = cache(async (): Promise<Actor | null> => {
  const session: { uid?: unknown } | null = await getServerSession(await authOptions());
  const uid = session?.uid;
  if (typeof uid !== "number") return null;
  return loadActiveActor(await getDb(), uid);
});

export async function requireActor(): Promise<Actor> {
  const actor = await currentActor();
  if (!actor) redirect("/login");
  return actor;
}

/** Admin pages answer 403 to everyone else. */
export async function requireAdmin(): Promise<Actor> {
  const actor = await requireActor();
  if (actor.role !== "admin") forbidden();
  return actor;
}
