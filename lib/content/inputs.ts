import { z } from "zod";
import { cardDisplays } from "@/db/schema";

/** Form fields arrive as strings: "" means "none" for optional references. */
export const optionalId = z.preprocess(
  (v) => (v === "" || v === undefined || v === null ? null : v),
  z.coerce.number().int().positive().nullable(),
);

export const id = z.coerce.number().int().positive();

export const checkbox = z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean());

const optionalText = (max: number) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? null : v),
    z.string().trim().max(max).nullable().default(null),
  );

/** A JSON object typed into a textarea. */
export const jsonObject = z.string().transform((text, ctx): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(text || "{}");
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
    ctx.addIssue({ code: "custom", message: 'must be a JSON object, like {"a": 1}' });
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `is not valid JSON (${(error as Error).message})` });
  }
  return z.NEVER;
});

export const name = z.string().trim().min(1, "is required").max(200);

export const collectionInput = z.object({
  name,
  description: optionalText(5000),
  parentId: optionalId,
  color: z
    .preprocess(
      (v) => (v === "" ? null : v),
      z
        .string()
        .regex(/^#[0-9a-f]{6}$/i)
        .nullable(),
    )
    .default(null),
});
export type CollectionInput = z.infer<typeof collectionInput>;

export const collectionUpdate = collectionInput.extend({ id, archived: checkbox });

export const cardInput = z.object({
  name,
  description: optionalText(20000),
  collectionId: optionalId,
  dataSourceId: optionalId,
  display: z.enum(cardDisplays),
  query: jsonObject,
  visualizationSettings: jsonObject,
});
export type CardInput = z.infer<typeof cardInput>;

export const cardUpdate = cardInput.extend({ id, archived: checkbox });

export const dashboardInput = z.object({
  name,
  description: optionalText(5000),
  collectionId: optionalId,
});
export type DashboardInput = z.infer<typeof dashboardInput>;

export const dashboardUpdate = dashboardInput.extend({ id, archived: checkbox });

/** A place on the 24-column grid. */
export const gridPlacement = z
  .object({
    row: z.coerce.number().int().min(0).max(1000),
    col: z.coerce.number().int().min(0).max(23),
    sizeX: z.coerce.number().int().min(1).max(24),
    sizeY: z.coerce.number().int().min(1).max(48),
  })
  .refine((p) => p.col + p.sizeX <= 24, {
    message: "does not fit: column + width must be at most 24",
    path: ["col"],
  });
export type GridPlacement = z.infer<typeof gridPlacement>;

export const addDashboardCardInput = z.object({ dashboardId: id, cardId: id }).and(gridPlacement);

export const moveDashboardCardInput = z
  .object({ dashboardId: id, dashboardCardId: id })
  .and(gridPlacement);

export const removeDashboardCardInput = z.object({ dashboardId: id, dashboardCardId: id });
