import { describe, expect, it } from "vitest";
import { clientAddress } from "./client-address";

describe("clientAddress", () => {
  it("is the socket's peer, whatever X-Forwarded-For claims, when no proxy is trusted", () => {
    expect(
      clientAddress({ peer: "192.0.2.1", forwardedFor: "203.0.113.9", trustedProxies: [] }),
    ).toBe("192.0.2.1");
    expect(
      clientAddress({ peer: "::ffff:192.0.2.1", forwardedFor: null, trustedProxies: [] }),
    ).toBe("192.0.2.1");
  });

  it("ignores X-Forwarded-For from a peer that is not the trusted proxy", () => {
    expect(
      clientAddress({
        peer: "192.0.2.66",
        forwardedFor: "203.0.113.9",
        trustedProxies: ["10.0.0.5"],
      }),
    ).toBe("192.0.2.66");
  });

  it("behind the trusted proxy, takes the right-most entry that is not a trusted proxy", () => {
    const trustedProxies = ["10.0.0.5", "10.0.0.6"];
    // The client wrote "1.1.1.1" itself; the proxies appended what they saw.
    expect(
      clientAddress({
        peer: "10.0.0.5",
        forwardedFor: "1.1.1.1, 203.0.113.9, 10.0.0.6",
        trustedProxies,
      }),
    ).toBe("203.0.113.9");
    expect(
      clientAddress({ peer: "::ffff:10.0.0.5", forwardedFor: "2001:db8::1", trustedProxies }),
    ).toBe("2001:db8::1");
    expect(clientAddress({ peer: "10.0.0.5", forwardedFor: null, trustedProxies })).toBe(
      "10.0.0.5",
    );
    expect(clientAddress({ peer: "10.0.0.5", forwardedFor: "junk", trustedProxies })).toBe(
      "10.0.0.5",
    );
  });

  it("is unknown without a valid peer address", () => {
    expect(
      clientAddress({ peer: null, forwardedFor: "203.0.113.9", trustedProxies: [] }),
    ).toBeNull();
    expect(clientAddress({ peer: "not an ip", forwardedFor: null, trustedProxies: [] })).toBeNull();
  });
});
