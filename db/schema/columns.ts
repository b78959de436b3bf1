import { timestamp } from "drizzle-orm/pg-core";

/** Every timestamp is `timestamptz`: instances run in many time zones. */
export const createdAt = () =>
  timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () =>
  timestamp("updated_at", { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());
