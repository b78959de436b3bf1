import { isIP } from "node:net";

/**
 * The request header that carries the socket's peer address into route
 * handlers, which cannot see the socket. scripts/server.mjs sets it on every
 * request and drops any value a client sent; keep the two names equal.
 */
export const peerAddressHeader = "x-liftoff-peer-address";

export interface AddressSources {
  /** The socket's peer, from `peerAddressHeader`; null when the server did not set it. */
  peer: string | null;
  /** The X-Forwarded-For header as received (any number of entries). */
  forwardedFor: string | null;
  /** LIFTOFF_TRUSTED_PROXY: the proxies whose X-Forwarded-For is believed. */
  trustedProxies: readonly string[];
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
function normalize(address: string): string | null {
  const trimmed = address.trim().toLowerCase();
  const unmapped = trimmed.startsWith("::ffff:") ? trimmed.slice(7) : trimmed;
  return isIP(unmapped) ? unmapped : null;
}

/**
 * The client a sign-in attempt is charged to. X-Forwarded-For is written by
 * whoever sends the request, so it counts only when the socket's peer is a
 * trusted proxy; then the client is the right-most entry that is not itself a
 * trusted proxy (entries to its left were written by the client and prove
 * nothing).
 */
export function clientAddress({
  peer,
  forwardedFor,
  trustedProxies,
}: AddressSources): string | null {
  const peerAddress = peer ? normalize(peer) : null;
  if (!peerAddress) return null;
  const trusted = new Set(trustedProxies.map(normalize).filter((a) => a !== null));
  if (!trusted.has(peerAddress) || !forwardedFor) return peerAddress;
  const hops = forwardedFor.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalize(hops[i] ?? "");
    if (hop === null) return peerAddress;
    if (!trusted.has(hop)) return hop;
  }
  return peerAddress;
}
