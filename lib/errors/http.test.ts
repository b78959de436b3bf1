import { describe, expect, it } from "vitest";
import { errorBody, jsonError, readErrorBody } from "./http";

describe("the one JSON error shape", () => {
  it("answers { error: { code, message } } with the status, never cached", async () => {
    const response = jsonError(409, "conflict:thing", "That thing exists.", { allow: "POST" });
    expect(response.status).toBe(409);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("allow")).toBe("POST");
    expect(await response.json()).toEqual({
      error: { code: "conflict:thing", message: "That thing exists." },
    });
    expect(errorBody("a:b", "c")).toEqual({ error: { code: "a:b", message: "c" } });
  });

  it("reads it back, and makes do with a body that is not one", async () => {
    expect(await readErrorBody(jsonError(403, "forbidden:admin", "Admins only."))).toEqual({
      code: "forbidden:admin",
      message: "Admins only.",
    });
    // The old shapes and foreign bodies fall back to the status, not to a crash.
    const old = Response.json({ error: "read_only", code: "x", message: "y" }, { status: 403 });
    expect(await readErrorBody(old)).toEqual({ code: "http:403", message: "HTTP 403" });
    const html = new Response("<h1>Bad gateway</h1>", { status: 502 });
    expect(await readErrorBody(html)).toEqual({ code: "http:502", message: "HTTP 502" });
  });
});
