import { defineConfig } from "drizzle-kit";

// Generation only needs the dialect: the same SQL serves PGlite and PostgreSQL.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./drizzle",
});
