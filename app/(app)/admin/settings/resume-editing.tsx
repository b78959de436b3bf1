"use client";

import { useState, useTransition } from "react";
import { ConfirmDialog } from "./confirm-dialog";
import { resumeEditingAction } from "./migration-actions";

/** For a moved instance: make it writable again here, knowing the cloud will not see it. */
export function ResumeEditing() {
  const [confirming, setConfirming] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const resume = () =>
    startTransition(async () => {
      setConfirming(false);
      const result = await resumeEditingAction(null, new FormData());
      if (!result.ok) setError(result.error.message);
    });
  return (
    <>
      <button
        type="button"
        disabled={pending}
        onClick={() => setConfirming(true)}
        data-testid="resume-editing"
        className="mt-3 rounded-md border border-slate-300 px-3 py-2 text-sm font-medium disabled:opacity-50"
      >
        Resume editing here
      </button>
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {confirming && (
        <ConfirmDialog
          title="Resume editing on this instance?"
          body="This instance becomes writable again for everyone. Changes made here from now on will not reach the cloud copy, and the two will drift apart."
          confirmLabel="Resume editing here"
          danger
          onConfirm={resume}
          onClose={() => setConfirming(false)}
        />
      )}
    </>
  );
}
