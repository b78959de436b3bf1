import { asc, desc } from "drizzle-orm";
import type { Database } from "../client";
import { clusterNodes, scheduledJobs } from "../schema";

export async function listNodes(db: Database) {
  return db.select().from(clusterNodes).orderBy(desc(clusterNodes.lastSeenAt)).limit(100);
}

export async function listJobs(db: Database) {
  return db.select().from(scheduledJobs).orderBy(asc(scheduledJobs.name));
}
