"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { isTerminal } from "@/lib/migration/states";

/**
 * On a settings page that shows no migration under way: listens for one
 * started elsewhere (another tab, another admin, another node) and re-renders
 * the page to show its progress, without a reload.
 */
export function MigrationWatcher({ latestId }: { latestId: number | null }) {
  const router = useRouter();
  useEffect(() => {
    const source = new EventSource("/api/migrations/events");
    source.addEventListener("latest", (event) => {
      const latest = JSON.parse((event as MessageEvent<string>).data) as {
        id: number;
        state: string;
      } | null;
      if (latest && latest.id !== latestId && !isTerminal(latest.state)) router.refresh();
    });
    return () => source.close();
  }, [latestId, router]);
  return null;
}
