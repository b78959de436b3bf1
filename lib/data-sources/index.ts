import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { dataSourceEngines, dataSources, type DataSourceDetails } from "@/db/schema";
import { recordAudit } from "@/lib/audit";
import { assertAdmin, type Actor } from "@/lib/auth";
import { AppError, isUniqueViolation, notFound } from "@/lib/errors";
import { sealSecret, type SecretKey } from "@/lib/secrets/cipher";

export const dataSourceInput = z.object({
  name: z.string().trim().min(1, "is required").max(200),
  engine: z.enum(dataSourceEngines),
  host: z
    .string()
    .trim()
    .min(1, "is required")
    .max(255)
    .regex(/^[A-Za-z0-9.\-_:[\]]+$/, "must be a host name or address"),
  port: z.coerce.number().int().min(1).max(65535),
  database: z.string().trim().min(1, "is required").max(255),
  user: z.string().trim().min(1, "is required").max(255),
  // Blank on edit means "keep the stored password".
  password: z.string().max(1000).default(""),
  ssl: z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean()),
});
export type DataSourceInput = z.infer<typeof dataSourceInput>;

function detailsFrom(input: DataSourceInput, password: string | null): DataSourceDetails {
  return {
    host: input.host,
    port: input.port,
    database: input.database,
    user: input.user,
    password,
    ssl: input.ssl,
  };
}

export async function createDataSource(
  db: Database,
  actor: Actor,
  input: DataSourceInput,
  secretKey: SecretKey | null,
) {
  assertAdmin(actor);
  const password = input.password ? sealSecret(input.password, secretKey) : null;
  return withNameConflict(() =>
    db.transaction(async (tx) => {
      const [row] = await tx
        .insert(dataSources)
        .values({
          name: input.name,
          engine: input.engine,
          details: detailsFrom(input, password),
          createdById: actor.id,
        })
        .returning({ id: dataSources.id });
      if (!row) throw new Error("insert returned no row");
      await recordAudit(tx, {
        actorId: actor.id,
        action: "data_source.create",
        targetType: "data_source",
        targetId: row.id,
        details: { name: input.name, engine: input.engine, host: input.host },
      });
      return row;
    }),
  );
}

export async function updateDataSource(
  db: Database,
  actor: Actor,
  id: number,
  input: DataSourceInput,
  secretKey: SecretKey | null,
) {
  assertAdmin(actor);
  await withNameConflict(() =>
    db.transaction(async (tx) => {
      const [current] = await tx
        .select({ details: dataSources.details })
        .from(dataSources)
        .where(eq(dataSources.id, id));
      if (!current) throw notFound("data_source");
      const password = input.password
        ? sealSecret(input.password, secretKey)
        : (current.details.password ?? null);
      await tx
        .update(dataSources)
        .set({ name: input.name, engine: input.engine, details: detailsFrom(input, password) })
        .where(eq(dataSources.id, id));
      await recordAudit(tx, {
        actorId: actor.id,
        action: "data_source.update",
        targetType: "data_source",
        targetId: id,
        details: { name: input.name, engine: input.engine, passwordChanged: input.password !== "" },
      });
    }),
  );
}

async function withNameConflict<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError("conflict", "data_source_name", "A data source with that name exists.");
    }
    throw error;
  }
}
