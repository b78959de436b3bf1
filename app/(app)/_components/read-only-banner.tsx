"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useRef, type ReactNode } from "react";
import { readErrorBody } from "@/lib/errors/http";
import { READ_ONLY_MESSAGE } from "@/lib/read-only/message";

interface ReadOnlyView {
  enabled: boolean;
  reason: string | null;
}

const ReadOnlyContext = createContext<ReadOnlyView>({ enabled: false, reason: null });

/** Whether edit controls should be disabled right now. */
export function useReadOnly(): ReadOnlyView {
  return useContext(ReadOnlyContext);
}

/**
 * Shows every signed-in user when the instance is read-only, and keeps that
 * live: the server renders the state it read, then a light poll notices a
 * change and refreshes the page so that controls enable or disable.
 */
export function ReadOnlyProvider({
  initial,
  children,
}: {
  initial: ReadOnlyView;
  children: ReactNode;
}) {
  const router = useRouter();
  const { data } = useQuery({
    queryKey: ["read-only"],
    queryFn: async (): Promise<ReadOnlyView> => {
      const response = await fetch("/api/read-only", { cache: "no-store" });
      if (!response.ok) throw new Error((await readErrorBody(response)).message);
      return (await response.json()) as ReadOnlyView;
    },
    initialData: initial,
    refetchInterval: 3000,
    refetchOnWindowFocus: true,
  });
  const seen = useRef(initial.enabled);
  useEffect(() => {
    if (data.enabled !== seen.current) {
      seen.current = data.enabled;
      router.refresh();
    }
  }, [data.enabled, router]);
  return (
    <ReadOnlyContext.Provider value={data}>
      {data.enabled && (
        <div
          role="status"
          data-testid="read-only-banner"
          className="bg-amber-100 px-6 py-2 text-center text-sm text-amber-900"
        >
          <strong>Read-only mode.</strong> {READ_ONLY_MESSAGE}
          {data.reason ? ` Reason: ${data.reason}.` : ""} You can still browse.
        </div>
      )}
      {children}
    </ReadOnlyContext.Provider>
  );
}
