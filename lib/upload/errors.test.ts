import { expect, it } from "vitest";
import { publicUploadCause, UploadError } from "./errors";
import { StoreRequestError } from "./store-client";

it("says why an upload stopped in words an admin may read, never a raw library message", () => {
  expect(publicUploadCause(new UploadError("Part 3 of 9 failed after 6 attempts."))).toBe(
    "Part 3 of 9 failed after 6 attempts.",
  );
  expect(
    publicUploadCause(
      new StoreRequestError(
        409,
        "conflict:state",
        "The store refused POST /uploaded (409): No.",
        "No.",
      ),
    ),
  ).toBe("the cloud store refused it (HTTP 409): No.");
  // fetch hides the socket's error in its cause; the internal address must not show.
  const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.7:9000"), {
    code: "ECONNREFUSED",
  });
  const cause = publicUploadCause(new TypeError("fetch failed", { cause: refused }));
  expect(cause).toBe("the cloud store could not be reached (ECONNREFUSED)");
  expect(cause).not.toContain("10.0.0.7");
  expect(
    publicUploadCause(new Error("<Error><Code>X</Code><HostId>secret-host</HostId></Error>")),
  ).toBe("an unexpected error (details are in the server log)");
});
