"use client";

import { useState } from "react";

type SecretChoice = "instance-key" | "passphrase" | "plaintext";

const minPassphrase = 10;

/**
 * "Download dump": a plain form POST (not fetch), so the browser streams the
 * archive straight to disk, and other sites cannot start one (the route
 * refuses GET and foreign origins). The admin says what happens to the
 * secrets; without an instance key there is no silent default.
 */
export function DownloadDump({ keyConfigured }: { keyConfigured: boolean }) {
  const [choice, setChoice] = useState<SecretChoice | null>(keyConfigured ? "instance-key" : null);
  const [passphrase, setPassphrase] = useState("");
  const [again, setAgain] = useState("");
  const passphraseProblem =
    choice !== "passphrase"
      ? null
      : passphrase.length < minPassphrase
        ? `At least ${minPassphrase} characters.`
        : passphrase !== again
          ? "The two passphrases differ."
          : null;
  const ready = choice !== null && passphraseProblem === null;
  const option = (value: SecretChoice, label: string, testId: string) => (
    <label className="flex items-start gap-2">
      <input
        type="radio"
        name="secrets"
        value={value}
        checked={choice === value}
        onChange={() => setChoice(value)}
        data-testid={testId}
        className="mt-1"
      />
      <span>{label}</span>
    </label>
  );
  return (
    <form method="post" action="/api/admin/dump" className="space-y-2" data-testid="dump-form">
      <fieldset className="space-y-1 text-sm">
        <legend className="mb-1 text-slate-700">
          Data-source passwords and secret settings in the archive:
        </legend>
        {keyConfigured &&
          option(
            "instance-key",
            "Encrypted with this instance's key (LIFTOFF_ENCRYPTION_KEY): the copy needs the same key.",
            "dump-secrets-instance-key",
          )}
        {option(
          "passphrase",
          "Sealed with a passphrase I choose: loading the archive asks for it.",
          "dump-secrets-passphrase",
        )}
        {option(
          "plaintext",
          "Plaintext: anyone holding the file can read the passwords.",
          "dump-secrets-plaintext",
        )}
      </fieldset>
      {choice === "passphrase" && (
        <div className="flex flex-wrap gap-2 text-sm">
          <label className="flex flex-col">
            Passphrase
            <input
              type="password"
              name="passphrase"
              autoComplete="new-password"
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
              className="rounded border border-slate-300 px-2 py-1"
              data-testid="dump-passphrase"
            />
          </label>
          <label className="flex flex-col">
            Same passphrase again
            <input
              type="password"
              autoComplete="new-password"
              value={again}
              onChange={(e) => setAgain(e.target.value)}
              className="rounded border border-slate-300 px-2 py-1"
              data-testid="dump-passphrase-again"
            />
          </label>
          {passphraseProblem && (
            <p className="w-full text-xs text-slate-500">{passphraseProblem}</p>
          )}
        </div>
      )}
      <button
        type="submit"
        disabled={!ready}
        data-testid="download-dump"
        className="rounded-md border border-slate-300 px-3 py-2 text-sm font-medium hover:bg-slate-100 disabled:opacity-50"
      >
        Download dump
      </button>
    </form>
  );
}
