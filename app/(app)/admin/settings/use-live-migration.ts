"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { readErrorBody } from "@/lib/errors/http";
import type { MigrationView } from "@/lib/migration/row";
import { isTerminal } from "@/lib/migration/states";

const stepMs = 150;

/**
 * Keeps one migration live: the server's render first, then Server-Sent
 * Events into React Query's cache; if the stream fails, polling takes over.
 */
export function useLiveMigration(initial: MigrationView, replayFrom?: number) {
  const client = useQueryClient();
  const { id, state: initialState } = initial;
  const [streamFailed, setStreamFailed] = useState(false);
  const query = useQuery({
    queryKey: ["migration", id],
    queryFn: async () => {
      const response = await fetch(`/api/migrations/${id}`, { cache: "no-store" });
      if (!response.ok) throw new Error((await readErrorBody(response)).message);
      return (await response.json()) as MigrationView;
    },
    initialData: initial,
    refetchInterval: (q) => (streamFailed && !isTerminal(q.state.data?.state ?? "") ? 1500 : false),
  });
  useEffect(() => {
    if (isTerminal(initialState)) return;
    const key = ["migration", id];
    const replay = replayFrom === undefined ? "" : `?since=${replayFrom}`;
    const source = new EventSource(`/api/migrations/${id}/events${replay}`);
    // Changes are shown one after another, at least `stepMs` apart, so a
    // replay of several phases at once still shows each of them; consecutive
    // changes within one phase collapse into the latest.
    const queue: MigrationView[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const drain = () => {
      const next = queue.shift();
      if (!next) {
        timer = null; // nothing waited: the next change shows at once
        return;
      }
      client.setQueryData<MigrationView>(key, (old) =>
        !old || next.version >= old.version ? next : old,
      );
      timer = setTimeout(drain, stepMs);
    };
    source.addEventListener("progress", (event) => {
      const view = JSON.parse((event as MessageEvent<string>).data) as MigrationView;
      const last = queue.at(-1);
      if (last && last.state === view.state) queue[queue.length - 1] = view;
      else queue.push(view);
      if (!timer) drain();
    });
    source.addEventListener("end", () => source.close());
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setStreamFailed(true);
    };
    return () => {
      source.close();
      if (timer) clearTimeout(timer);
    };
  }, [client, id, initialState, replayFrom]);
  return query.data;
}

/**
 * While a settings page shows no migration under way: listens for one
 * started elsewhere (another tab, another admin, another node) and re-renders
 * the page to show its progress, without a reload.
 */
export function useMigrationStartedElsewhere(latestId: number | null, listening: boolean) {
  const router = useRouter();
  useEffect(() => {
    if (!listening) return;
    const source = new EventSource("/api/migrations/events");
    source.addEventListener("latest", (event) => {
      const latest = JSON.parse((event as MessageEvent<string>).data) as {
        id: number;
        state: string;
      } | null;
      if (latest && latest.id !== latestId && !isTerminal(latest.state)) router.refresh();
    });
    return () => source.close();
  }, [latestId, listening, router]);
}
