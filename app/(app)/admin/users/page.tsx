import type { Metadata } from "next";
import { getDb } from "@/lib/runtime";
import { listUsersForAdmin } from "@/lib/users/views";
import { userRoles } from "@/db/schema";
import { ActionForm } from "@/app/_components/action-form";
import { Badge, Field, formatTime, PageHeader, Panel } from "@/app/_components/ui";
import { requireAdmin } from "@/app/_lib/session";
import { changeUserRoleAction, createUserAction, setUserActiveAction } from "./actions";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const actor = await requireAdmin();
  const users = await listUsersForAdmin(await getDb(), actor);
  return (
    <>
      <PageHeader title="Users" />
      <Panel>
        <table className="w-full text-left text-sm" data-testid="user-list">
          <thead className="text-slate-500">
            <tr>
              <th className="py-2">Name</th>
              <th>Email</th>
              <th>Last sign-in</th>
              <th>Role</th>
              <th>Access</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr
                key={user.id}
                className="border-t border-slate-100 align-middle"
                data-testid={`user-${user.email}`}
              >
                <td className="py-2">
                  {user.name}
                  {!user.active && <Badge>deactivated</Badge>}
                </td>
                <td>{user.email}</td>
                <td>{formatTime(user.lastLoginAt)}</td>
                <td>
                  <ActionForm
                    action={changeUserRoleAction}
                    submitLabel="Set role"
                    className="flex items-start gap-2"
                  >
                    <input type="hidden" name="userId" value={user.id} />
                    <select name="role" defaultValue={user.role} className="!mt-0 !w-28">
                      {userRoles.map((role) => (
                        <option key={role} value={role}>
                          {role}
                        </option>
                      ))}
                    </select>
                  </ActionForm>
                </td>
                <td>
                  <ActionForm
                    action={setUserActiveAction}
                    submitLabel={user.active ? "Deactivate" : "Reactivate"}
                    danger={user.active}
                  >
                    <input type="hidden" name="userId" value={user.id} />
                    <input type="hidden" name="active" value={user.active ? "false" : "true"} />
                  </ActionForm>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
      <Panel title="New user">
        <ActionForm
          action={createUserAction}
          submitLabel="Create user"
          testId="new-user"
          resetOnSuccess
          successMessage="User created."
        >
          <div className="grid gap-4 md:grid-cols-2">
            <Field label="Name">
              <input name="name" required />
            </Field>
            <Field label="Email">
              <input name="email" type="email" required />
            </Field>
            <Field label="Initial password (10+ characters)">
              <input
                name="password"
                type="password"
                required
                minLength={10}
                autoComplete="new-password"
              />
            </Field>
            <Field label="Role">
              <select name="role" defaultValue="user">
                {userRoles.map((role) => (
                  <option key={role} value={role}>
                    {role}
                  </option>
                ))}
              </select>
            </Field>
          </div>
        </ActionForm>
      </Panel>
    </>
  );
}
