/**
 * Security headers that never change, on every response, static files
 * included. The ones that depend on the request or on the public URL (CSP with
 * its nonce, HSTS) are set by proxy.ts (lib/security/headers.ts).
 */
const staticSecurityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  // For browsers that predate CSP's frame-ancestors.
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite loads its WebAssembly and data files relative to its own module,
  // and postgres.js keeps sockets: both must stay plain Node modules. The
  // password hasher is a native addon.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "postgres",
    "pino",
    "bcryptjs",
    "@node-rs/argon2",
  ],
  experimental: {
    // forbidden() → a real 403 for non-admins on admin pages.
    authInterrupts: true,
  },
  poweredByHeader: false,
  // Every response, static files included; the per-request ones come from proxy.ts.
  async headers() {
    return [{ source: "/:path*", headers: staticSecurityHeaders }];
  },
};

export default nextConfig;
