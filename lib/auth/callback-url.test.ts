import { describe, expect, it } from "vitest";
import { sameOriginCallbackUrl } from "./callback-url";

const origin = "http://127.0.0.1:3000";

describe("sameOriginCallbackUrl", () => {
  it.each([
    "/\\evil.com",
    "\\\\evil.com",
    "/\t/evil.com",
    "//evil.com",
    "///evil.com",
    "https://evil.com",
    "https://127.0.0.1:3000.evil.com/",
    "http://127.0.0.1:3001/",
    "javascript:alert(1)",
    "data:text/html,hi",
  ])("sends %j home", (value) => {
    expect(sameOriginCallbackUrl(value, origin)).toBe(`${origin}/`);
  });

  it.each([
    ["/admin/users?page=2#top", `${origin}/admin/users?page=2#top`],
    ["/%09/evil.com", `${origin}/%09/evil.com`],
    ["/.//evil.com", `${origin}//evil.com`],
    [`${origin}/dashboards/3`, `${origin}/dashboards/3`],
    ["", `${origin}/`],
    [null, `${origin}/`],
  ])("keeps %j on this origin", (value, expected) => {
    const result = sameOriginCallbackUrl(value, origin);
    expect(result).toBe(expected);
    expect(new URL(result).origin).toBe(origin);
  });
});
