"use server";

import { defineAction } from "@/app/_lib/action";
import { cardInput, cardUpdate, createCard, updateCard } from "@/lib/content";

export const createCardAction = defineAction(
  { name: "card.create", role: "user", input: cardInput },
  ({ db, actor, input }) => createCard(db, actor, input),
  { revalidate: () => ["/cards", "/"], redirectTo: (row) => `/cards/${row.id}` },
);

export const updateCardAction = defineAction(
  { name: "card.update", role: "user", input: cardUpdate },
  async ({ db, actor, input: { id, ...input } }) => {
    await updateCard(db, actor, id, input);
    return null;
  },
  { revalidate: (_data, input) => ["/cards", `/cards/${input.id}`] },
);
