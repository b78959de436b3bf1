"use client";

import { useActionState, useEffect, useRef, type ReactNode } from "react";
import type { ActionResult, FormAction } from "@/app/_lib/action";
import { useReadOnly } from "@/app/(app)/_components/read-only-banner";

/**
 * A form bound to a server action: shows the action's error or success and
 * disables itself while pending. Inputs come in as children from the server.
 */
export function ActionForm<T>({
  action,
  submitLabel,
  children,
  testId,
  successMessage,
  resetOnSuccess = false,
  className,
  danger = false,
  allowInReadOnly = false,
}: {
  action: FormAction<T>;
  submitLabel: string;
  children?: ReactNode;
  testId?: string;
  successMessage?: string;
  resetOnSuccess?: boolean;
  className?: string;
  danger?: boolean;
  /** The few forms that must work while writes are frozen. */
  allowInReadOnly?: boolean;
}) {
  const frozen = useReadOnly().enabled && !allowInReadOnly;
  const [state, formAction, pending] = useActionState<ActionResult<T> | null, FormData>(
    action,
    null,
  );
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state?.ok && resetOnSuccess) formRef.current?.reset();
  }, [state, resetOnSuccess]);
  return (
    <form ref={formRef} action={formAction} data-testid={testId} className={className}>
      <fieldset
        disabled={pending || frozen}
        className="contents"
        title={frozen ? "Read-only mode" : undefined}
      >
        {children}
        <button
          type="submit"
          className={`rounded-md px-3 py-2 text-sm font-medium text-white disabled:opacity-50 ${danger ? "bg-red-600 hover:bg-red-500" : "bg-indigo-600 hover:bg-indigo-500"}`}
        >
          {pending ? "Working…" : submitLabel}
        </button>
      </fieldset>
      {state && !state.ok && (
        <p role="alert" className="mt-2 text-sm text-red-700" data-testid="form-error">
          {state.error.message}
        </p>
      )}
      {state?.ok && successMessage && (
        <p role="status" className="mt-2 text-sm text-green-700">
          {successMessage}
        </p>
      )}
    </form>
  );
}
