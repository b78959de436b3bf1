/**
 * npm run create-admin -- --email EMAIL --name NAME
 * Creates an administrator (or makes an existing user one) without the web
 * set-up: for scripted installs and for recovering a locked-out instance.
 * The password comes from LIFTOFF_ADMIN_PASSWORD, never from the command line
 * (it would stay in shell history). Stop the server first on the embedded
 * database. Exit codes: 0 done, 1 failed, 2 usage.
 */
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { appDatabaseOptions, openDatabase } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { recordAudit } from "@/lib/audit";
import { hashPassword } from "@/lib/auth";
import { prepareDatabase } from "@/lib/runtime/database";
import { userInput } from "@/lib/users";

const usage = (message?: string): never => {
  if (message) console.error(message);
  console.error(
    "Usage: LIFTOFF_ADMIN_PASSWORD=... npm run create-admin -- --email EMAIL --name NAME",
  );
  process.exit(2);
};

let values: { email?: string; name?: string };
try {
  ({ values } = parseArgs({ options: { email: { type: "string" }, name: { type: "string" } } }));
} catch (error) {
  usage((error as Error).message);
}
const parsed = userInput.safeParse({
  email: values!.email,
  name: values!.name,
  password: process.env.LIFTOFF_ADMIN_PASSWORD ?? "",
  role: "admin",
});
if (!parsed.success) {
  usage(parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; "));
}
const input = parsed.data!;

const handle = await openDatabase(appDatabaseOptions());
try {
  await prepareDatabase(handle);
  const passwordHash = await hashPassword(input.password);
  // Emails are unique case-insensitively (an expression index): upsert on it.
  const [row] = rowsOf<{ id: number }>(
    await handle.db.execute(sql`
      insert into users (email, name, password_hash, role, active)
      values (${input.email}, ${input.name}, ${passwordHash}, 'admin', true)
      on conflict ((lower(email))) do update
        set name = excluded.name, password_hash = excluded.password_hash, role = 'admin', active = true
      returning id`),
  );
  await recordAudit(handle.db, {
    actorId: null,
    action: "user.create_admin_cli",
    targetType: "user",
    targetId: row!.id,
    details: { email: input.email },
  });
  console.log(`Administrator ${input.email} is ready.`);
} catch (error) {
  console.error(`Could not create the administrator: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await handle.close();
}
