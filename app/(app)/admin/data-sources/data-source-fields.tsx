import { dataSourceEngines } from "@/db/schema";
import { Field } from "@/app/_components/ui";

export interface DataSourceFormValue {
  name: string;
  engine: string;
  host: string;
  port: number;
  database: string;
  user: string;
  ssl: boolean;
  hasPassword: boolean;
}

export function DataSourceFields({ value }: { value?: DataSourceFormValue }) {
  return (
    <div className="grid gap-x-4 md:grid-cols-2">
      <Field label="Name">
        <input name="name" required maxLength={200} defaultValue={value?.name} />
      </Field>
      <Field label="Engine">
        <select name="engine" defaultValue={value?.engine ?? "postgres"}>
          {dataSourceEngines.map((e) => (
            <option key={e} value={e}>
              {e}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Host">
        <input name="host" required defaultValue={value?.host} />
      </Field>
      <Field label="Port">
        <input
          name="port"
          type="number"
          min={1}
          max={65535}
          required
          defaultValue={value?.port ?? 5432}
        />
      </Field>
      <Field label="Database">
        <input name="database" required defaultValue={value?.database} />
      </Field>
      <Field label="User">
        <input name="user" required defaultValue={value?.user} />
      </Field>
      <Field
        label={value?.hasPassword ? "Password (leave blank to keep the stored one)" : "Password"}
      >
        <input name="password" type="password" autoComplete="new-password" />
      </Field>
      <label className="mb-3 flex items-center gap-2 self-end">
        <input type="checkbox" name="ssl" defaultChecked={value?.ssl ?? true} /> Use SSL
      </label>
    </div>
  );
}
