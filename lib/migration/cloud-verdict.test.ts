import { describe, expect, it } from "vitest";
import { cloudStateLabel } from "./cloud-verdict";

describe("the store's state, for the instance", () => {
  it("puts every state the store reports into words, and an unknown one as it came", () => {
    const states = [
      "awaiting_upload",
      "received",
      "verifying",
      "restoring",
      "base_restored",
      "restored",
      "failed",
      "aborted",
    ];
    const labels = states.map(cloudStateLabel);
    expect(new Set(labels).size).toBe(states.length);
    for (const [i, label] of labels.entries()) expect(label).not.toContain(states[i]!);
    expect(cloudStateLabel("base_restored")).toMatch(/last changes have not arrived/);
    expect(cloudStateLabel("restored")).toBe("Restored: the copy is complete");
    expect(cloudStateLabel("<b>new</b>")).toBe('"<b>new</b>" (a state this version does not know)');
    expect(cloudStateLabel(null)).toBe("unknown");
  });
});
