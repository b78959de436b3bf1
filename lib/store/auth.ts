import { eq } from "drizzle-orm";
import { storeMigrations, type StoreMigration } from "@/db/schema";
import { AppError } from "@/lib/errors";
import type { StoreContext } from "./context";
import { hashToken, sameHash } from "./token";

function bearerToken(authorization: string | null): string {
  const match = /^Bearer ([A-Za-z0-9_\-.~+/=]{16,200})$/.exec(authorization ?? "");
  if (!match?.[1]) {
    throw new AppError(
      "unauthorized",
      "token",
      "A migration token is required (Authorization: Bearer <token>).",
    );
  }
  return match[1];
}

/**
 * The migration the bearer token was issued for, or a refusal: 401 for an
 * unknown or expired token, 403 for a valid token of another migration.
 */
export async function authenticateMigration(
  ctx: StoreContext,
  externalId: string,
  authorization: string | null,
): Promise<StoreMigration> {
  const hash = hashToken(bearerToken(authorization));
  const [migration] = await ctx.db
    .select()
    .from(storeMigrations)
    .where(eq(storeMigrations.externalId, externalId));
  if (!migration || !sameHash(migration.tokenHash, hash)) {
    const [owner] = await ctx.db
      .select({ id: storeMigrations.id })
      .from(storeMigrations)
      .where(eq(storeMigrations.tokenHash, hash));
    if (owner) {
      throw new AppError("forbidden", "migration", "This token belongs to another migration.");
    }
    throw new AppError("unauthorized", "token", "The migration token is not valid.");
  }
  if (migration.tokenExpiresAt.getTime() <= Date.now()) {
    throw new AppError(
      "unauthorized",
      "token_expired",
      "The migration token has expired; start a new migration.",
    );
  }
  return migration;
}
