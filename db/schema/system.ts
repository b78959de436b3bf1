import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { createdAt, updatedAt } from "./columns";
import { users } from "./users";

/**
 * Instance settings. `secret` values are stored encrypted when an
 * encryption key is configured (lib/secrets), plaintext otherwise.
 */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  secret: boolean("secret").notNull().default(false),
  updatedAt: updatedAt(),
});

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    actorId: integer("actor_id").references(() => users.id, { onDelete: "set null" }),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index("audit_log_actor_id_idx").on(t.actorId),
    index("audit_log_created_at_idx").on(t.createdAt),
  ],
);

export const viewModels = ["card", "dashboard", "collection"] as const;

export const viewLog = pgTable(
  "view_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: integer("user_id").references(() => users.id, { onDelete: "set null" }),
    model: text("model", { enum: viewModels }).notNull(),
    modelId: integer("model_id").notNull(),
    // How long the object took to render, in milliseconds: a numeric column
    // so dumps carry a type that is neither integer nor float.
    durationMs: numeric("duration_ms", { precision: 12, scale: 3 }),
    viewedAt: timestamp("viewed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("view_log_user_id_idx").on(t.userId),
    index("view_log_model_idx").on(t.model, t.modelId),
  ],
);
