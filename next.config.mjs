/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite loads its WebAssembly and data files relative to its own module,
  // and postgres.js keeps sockets: both must stay plain Node modules.
  serverExternalPackages: ["@electric-sql/pglite", "postgres", "pino", "bcryptjs"],
  experimental: {
    // forbidden() → a real 403 for non-admins on admin pages.
    authInterrupts: true,
  },
  poweredByHeader: false,
};

export default nextConfig;
