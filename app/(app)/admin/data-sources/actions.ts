"use server";

import { defineAction } from "@/app/_lib/action";
import { id } from "@/lib/content";
import { createDataSource, dataSourceInput, updateDataSource } from "@/lib/data-sources";
import { instanceSecretKey } from "@/lib/secrets/key";

export const createDataSourceAction = defineAction(
  { name: "data_source.create", role: "admin", input: dataSourceInput },
  ({ db, actor, input }) => createDataSource(db, actor, input, instanceSecretKey()),
  { revalidate: () => ["/admin/data-sources"], redirectTo: () => "/admin/data-sources" },
);

export const updateDataSourceAction = defineAction(
  { name: "data_source.update", role: "admin", input: dataSourceInput.extend({ id }) },
  async ({ db, actor, input: { id: sourceId, ...input } }) => {
    await updateDataSource(db, actor, sourceId, input, instanceSecretKey());
    return null;
  },
  { revalidate: (_data, input) => ["/admin/data-sources", `/admin/data-sources/${input.id}`] },
);
