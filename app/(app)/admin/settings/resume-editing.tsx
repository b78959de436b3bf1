"use client";

import { ConfirmedAction } from "./confirm-dialog";
import { resumeEditingAction } from "./migration-actions";

/** For a moved instance: make it writable again here, knowing the cloud will not see it. */
export function ResumeEditing() {
  return (
    <div className="mt-3">
      <ConfirmedAction
        label="Resume editing here"
        testId="resume-editing"
        buttonClassName="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium"
        dialog={{
          title: "Resume editing on this instance?",
          body: "This instance becomes writable again for everyone. Changes made here from now on will not reach the cloud copy, and the two will drift apart.",
          confirmLabel: "Resume editing here",
          danger: true,
        }}
        action={() => resumeEditingAction(null, new FormData())}
      />
    </div>
  );
}
