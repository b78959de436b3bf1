"use server";

import { defineAction } from "@/app/_lib/action";
import {
  collectionInput,
  collectionUpdate,
  createCollection,
  updateCollection,
} from "@/lib/content";

export const createCollectionAction = defineAction(
  { name: "collection.create", role: "user", input: collectionInput },
  ({ db, actor, input }) => createCollection(db, actor, input),
  { revalidate: () => ["/collections", "/"], redirectTo: (row) => `/collections/${row.id}` },
);

export const updateCollectionAction = defineAction(
  { name: "collection.update", role: "user", input: collectionUpdate },
  async ({ db, actor, input: { id, ...input } }) => {
    await updateCollection(db, actor, id, input);
    return null;
  },
  { revalidate: (_data, input) => ["/collections", `/collections/${input.id}`] },
);
