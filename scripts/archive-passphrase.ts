/**
 * The passphrase that seals (dump) or opens (load, verify) an archive's
 * secrets: LIFTOFF_ARCHIVE_PASSPHRASE, or typed at a terminal without echo.
 * Never an argument: those show in `ps` and shell history. Likewise the
 * store's sealing key, for an archive a migration sealed for the store.
 */
import { checkPassphrase } from "@/lib/secrets/passphrase";
import { sealingKeyPair, type SealingKeyPair } from "@/lib/secrets/sealed-box";
import { usage } from "./dump-cli";

export const passphraseEnv = "LIFTOFF_ARCHIVE_PASSPHRASE";

/** Null when there is no variable and no terminal to ask at. */
export async function archivePassphrase(options: { confirm: boolean }): Promise<string | null> {
  const fromEnv = process.env[passphraseEnv];
  if (fromEnv) {
    checkPassphrase(fromEnv);
    return fromEnv;
  }
  if (!process.stdin.isTTY) return null;
  const first = await askHidden("Archive passphrase: ");
  checkPassphrase(first);
  if (options.confirm && (await askHidden("Same passphrase again: ")) !== first) {
    throw new Error("The two passphrases differ.");
  }
  return first;
}

function askHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  let typed = "";
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return done();
        if (char === "\u0003") return done(new Error("Cancelled."));
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.on("data", onData);
  });
}

/**
 * For load and verify: the variable when set; asked when `--passphrase` was
 * given; otherwise none (an archive that needs one is then refused, saying so).
 */
export async function passphraseOption(asked: boolean, help: string): Promise<string | undefined> {
  if (!asked && !process.env[passphraseEnv]) return undefined;
  try {
    const passphrase = await archivePassphrase({ confirm: false });
    if (passphrase) return passphrase;
  } catch (error) {
    usage(help, (error as Error).message);
  }
  usage(help, `No terminal to ask for the passphrase at: set ${passphraseEnv}.`);
}

export const sealingKeyEnv = "LIFTOFF_STORE_SEALING_KEY";

/**
 * For load and verify: the store's key pair from LIFTOFF_STORE_SEALING_KEY,
 * which opens an archive a migration sealed for that store; otherwise none
 * (such an archive is then refused, saying so).
 */
export function sealingKeyOption(help: string): SealingKeyPair | undefined {
  const value = process.env[sealingKeyEnv];
  if (!value) return undefined;
  try {
    return sealingKeyPair(value);
  } catch (error) {
    usage(help, `${sealingKeyEnv}: ${(error as Error).message}`);
  }
}
