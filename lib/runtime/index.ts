export { getDatabaseHandle, getDb, prepareDatabase } from "./database";
