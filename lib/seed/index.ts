export { parseSeedArgs, seedUsage, UsageError, type SeedCommand } from "./args";
export { planSeed, seedTables, type SeedPlan, type SeedTable } from "./plan";
export { seedDatabase, seedPassword, type SeedCounts, type SeedOptions } from "./seed";
export { measureTables, type TableSize } from "./table-sizes";
