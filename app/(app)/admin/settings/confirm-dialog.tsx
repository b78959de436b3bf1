"use client";

import { useState, useTransition, type ReactNode } from "react";

/** The one confirm dialog of the settings page: a question, what follows, and two buttons. */
export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  danger,
  onConfirm,
  onClose,
  children,
}: {
  title: string;
  body: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
  /** A choice to make before confirming. */
  children?: ReactNode;
}) {
  return (
    <div className="fixed inset-0 z-10 flex items-center justify-center bg-slate-900/40 p-4">
      <div
        role="dialog"
        aria-modal="true"
        aria-label={title}
        className="max-w-md rounded-lg bg-white p-6 shadow-xl"
      >
        <h3 className="text-lg font-semibold">{title}</h3>
        <p className="mt-2 text-sm text-slate-600">{body}</p>
        {children}
        <div className="mt-5 flex justify-end gap-2">
          <button
            type="button"
            onClick={onClose}
            className="rounded-md border border-slate-300 px-3 py-2 text-sm"
          >
            Back
          </button>
          <button
            type="button"
            onClick={onConfirm}
            className={`rounded-md px-3 py-2 text-sm font-medium text-white ${danger ? "bg-red-600" : "bg-indigo-600"}`}
          >
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

/**
 * A button that asks first, then runs `action`, showing its refusal under
 * the button. For the settings page's irreversible steps (cancel a
 * migration, resume editing on a moved instance).
 */
export function ConfirmedAction({
  label,
  buttonClassName,
  testId,
  dialog,
  action,
}: {
  label: string;
  buttonClassName: string;
  testId?: string;
  dialog: { title: string; body: string; confirmLabel: string; danger?: boolean };
  action: () => Promise<{ ok: true } | { ok: false; error: { message: string } }>;
}) {
  const [confirming, setConfirming] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const run = () =>
    startTransition(async () => {
      setConfirming(false);
      setError(null);
      const result = await action();
      if (!result.ok) setError(result.error.message);
    });
  return (
    <>
      <button
        type="button"
        disabled={pending}
        onClick={() => setConfirming(true)}
        data-testid={testId}
        className={`${buttonClassName} disabled:opacity-50`}
      >
        {label}
      </button>
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {confirming && (
        <ConfirmDialog {...dialog} onConfirm={run} onClose={() => setConfirming(false)} />
      )}
    </>
  );
}
