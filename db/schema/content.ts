import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  type AnyPgColumn,
} from "drizzle-orm/pg-core";
import { createdAt, updatedAt } from "./columns";
import { users } from "./users";

export const dataSourceEngines = [
  "postgres",
  "mysql",
  "sqlserver",
  "snowflake",
  "bigquery",
] as const;
export type DataSourceEngine = (typeof dataSourceEngines)[number];

/** Connection details; `password` is stored encrypted (see lib/secrets). */
export interface DataSourceDetails {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string | null;
  ssl?: boolean;
  options?: Record<string, unknown>;
}

export const dataSources = pgTable(
  "data_sources",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    name: text("name").notNull(),
    engine: text("engine", { enum: dataSourceEngines }).notNull(),
    details: jsonb("details").$type<DataSourceDetails>().notNull(),
    createdById: integer("created_by_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("data_sources_name_idx").on(t.name),
    index("data_sources_created_by_idx").on(t.createdById),
  ],
);

export const collections = pgTable(
  "collections",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    name: text("name").notNull(),
    description: text("description"),
    parentId: integer("parent_id").references((): AnyPgColumn => collections.id, {
      onDelete: "restrict",
    }),
    color: text("color"),
    archived: boolean("archived").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("collections_parent_id_idx").on(t.parentId)],
);

export const cardDisplays = ["table", "bar", "line", "pie", "scalar", "area", "map"] as const;
export type CardDisplay = (typeof cardDisplays)[number];

export const cards = pgTable(
  "cards",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    name: text("name").notNull(),
    description: text("description"),
    collectionId: integer("collection_id").references(() => collections.id, {
      onDelete: "set null",
    }),
    dataSourceId: integer("data_source_id").references(() => dataSources.id, {
      onDelete: "set null",
    }),
    creatorId: integer("creator_id").references(() => users.id, { onDelete: "set null" }),
    query: jsonb("query").$type<Record<string, unknown>>().notNull(),
    display: text("display", { enum: cardDisplays }).notNull().default("table"),
    visualizationSettings: jsonb("visualization_settings")
      .$type<Record<string, unknown>>()
      .notNull()
      .default({}),
    archived: boolean("archived").notNull().default(false),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("cards_collection_id_idx").on(t.collectionId),
    index("cards_data_source_id_idx").on(t.dataSourceId),
    index("cards_creator_id_idx").on(t.creatorId),
  ],
);

export const dashboards = pgTable(
  "dashboards",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    name: text("name").notNull(),
    description: text("description"),
    collectionId: integer("collection_id").references(() => collections.id, {
      onDelete: "set null",
    }),
    creatorId: integer("creator_id").references(() => users.id, { onDelete: "set null" }),
    parameters: jsonb("parameters").$type<unknown[]>().notNull().default([]),
    archived: boolean("archived").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("dashboards_collection_id_idx").on(t.collectionId),
    index("dashboards_creator_id_idx").on(t.creatorId),
  ],
);

/** A card placed on a dashboard's 24-column grid. */
export const dashboardCards = pgTable(
  "dashboard_cards",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    dashboardId: integer("dashboard_id")
      .notNull()
      .references(() => dashboards.id, { onDelete: "cascade" }),
    cardId: integer("card_id")
      .notNull()
      .references(() => cards.id, { onDelete: "cascade" }),
    row: integer("row").notNull().default(0),
    col: integer("col").notNull().default(0),
    sizeX: integer("size_x").notNull().default(6),
    sizeY: integer("size_y").notNull().default(4),
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("dashboard_cards_dashboard_id_idx").on(t.dashboardId),
    index("dashboard_cards_card_id_idx").on(t.cardId),
    check(
      "dashboard_cards_grid_check",
      sql`${t.row} >= 0 and ${t.col} >= 0 and ${t.col} + ${t.sizeX} <= 24 and ${t.sizeX} between 1 and 24 and ${t.sizeY} between 1 and 48`,
    ),
  ],
);
