/**
 * The security headers that depend on the request or on the runtime
 * configuration, set by proxy.ts. Those that never change (nosniff,
 * X-Frame-Options, Referrer-Policy, Permissions-Policy) are in
 * next.config.mjs, so static files get them too. Each header is set in one
 * place only.
 */
/** A fresh, unguessable nonce per response (Next reads it back from the request's CSP header). */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
}

/**
 * Scripts run only with this response's nonce (and what they load, by
 * 'strict-dynamic'), so injected markup cannot run script. Style elements
 * need the nonce too; style attributes stay allowed because React renders
 * computed widths (the progress bar, the dashboard grid) as attributes, and
 * an attribute cannot run script.
 */
export function contentSecurityPolicy(options: {
  nonce: string;
  https: boolean;
  dev: boolean;
}): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${options.nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ""}`,
    `style-src 'self' 'nonce-${options.nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    // Only when served over https: on plain http it would send every asset to a port with nothing on it.
    ...(options.https ? ["upgrade-insecure-requests"] : []),
  ];
  return directives.join("; ");
}

/** Two years, subdomains included: sent only when the public URL is https. */
export const strictTransportSecurity = "max-age=63072000; includeSubDomains";

/** Whether the public URL (NEXTAUTH_URL) is https: it decides HSTS and `Secure` cookies. */
export function publicUrlIsHttps(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.NEXTAUTH_URL ?? "").toLowerCase().startsWith("https://");
}
