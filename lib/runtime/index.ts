export { getDatabaseHandle, getDb, prepareDatabase } from "./database";
export { localNode, registerLocalNode } from "./node";
