"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import type { ReadOnlyView } from "@/app/_lib/read-only-view";
import { readErrorBody } from "@/lib/errors/http";
import { READ_ONLY_MESSAGE } from "@/lib/read-only/message";

const ReadOnlyContext = createContext<ReadOnlyView>({ enabled: false, reason: null, moved: null });

/** Whether edit controls should be disabled right now. */
export function useReadOnly(): ReadOnlyView {
  return useContext(ReadOnlyContext);
}

const key = ["read-only"];

/**
 * Shows every signed-in user when the instance is read-only, and keeps that
 * live: the server renders the state it read, then a stream of the changes
 * (the same NOTIFY that switches every node) updates it and refreshes the
 * page so that controls enable or disable. Polling only if the stream fails.
 */
export function ReadOnlyProvider({
  initial,
  children,
}: {
  initial: ReadOnlyView;
  children: ReactNode;
}) {
  const router = useRouter();
  const client = useQueryClient();
  const [streamFailed, setStreamFailed] = useState(false);
  const { data } = useQuery({
    queryKey: key,
    queryFn: async (): Promise<ReadOnlyView> => {
      const response = await fetch("/api/read-only", { cache: "no-store" });
      if (!response.ok) throw new Error((await readErrorBody(response)).message);
      return (await response.json()) as ReadOnlyView;
    },
    initialData: initial,
    refetchInterval: streamFailed ? 3000 : false,
    refetchOnWindowFocus: true,
  });
  useEffect(() => {
    const source = new EventSource("/api/read-only/events");
    source.addEventListener("read-only", (event) => {
      client.setQueryData(key, JSON.parse((event as MessageEvent<string>).data) as ReadOnlyView);
      setStreamFailed(false);
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setStreamFailed(true);
    };
    return () => source.close();
  }, [client]);
  const seen = useRef(initial.enabled);
  useEffect(() => {
    if (data.enabled !== seen.current) {
      seen.current = data.enabled;
      router.refresh();
    }
  }, [data.enabled, router]);
  return (
    <ReadOnlyContext.Provider value={data}>
      {data.enabled && data.moved && (
        <div
          role="status"
          data-testid="moved-banner"
          className="bg-indigo-100 px-6 py-2 text-center text-sm text-indigo-950"
        >
          <strong>
            This instance moved to the cloud
            {data.moved.movedAt ? ` on ${new Date(data.moved.movedAt).toLocaleString()}` : ""}
          </strong>{" "}
          — continue at{" "}
          {data.moved.cloudUrl ? (
            <a className="font-medium underline" href={data.moved.cloudUrl}>
              {data.moved.cloudUrl}
            </a>
          ) : (
            "the cloud"
          )}
          . It stays read-only here.
        </div>
      )}
      {data.enabled && !data.moved && (
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
