import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb } from "@/lib/runtime";
import { clientAddress, peerAddressHeader, sameOriginCallbackUrl, signIn } from "@/lib/auth";
import { readEnv } from "@/lib/config/env";
import { publicUrlIsHttps } from "@/lib/security/headers";
import { instanceSecretKey } from "@/lib/secrets/key";
import { sessionSigningSecret } from "@/lib/settings";

/**
 * Words the login form turns into messages; next-auth passes a thrown message
 * through. A throttled attempt says how long to wait: `RateLimited:<seconds>`.
 */
export const signInErrors = {
  rateLimited: "RateLimited",
  inactive: "Inactive",
} as const;

function header(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== "object") return null;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : null;
}

/**
 * next-auth with credentials and JWT sessions. Built per request because the
 * signing secret lives in the database (shared by every node) unless
 * NEXTAUTH_SECRET is set.
 */
export async function authOptions(): Promise<NextAuthOptions> {
  const db = await getDb();
  const secret =
    process.env.NEXTAUTH_SECRET || (await sessionSigningSecret(db, instanceSecretKey()));
  return {
    secret,
    session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
    pages: { signIn: "/login", error: "/login" },
    // `Secure` (and `__Secure-`/`__Host-` names) whenever the public URL is
    // https, said here rather than left to next-auth's default.
    useSecureCookies: publicUrlIsHttps(),
    providers: [
      CredentialsProvider({
        name: "Email",
        credentials: { email: { type: "email" }, password: { type: "password" } },
        async authorize(credentials, req) {
          const email = credentials?.email ?? "";
          const password = credentials?.password ?? "";
          if (!email || !password || email.length > 320 || password.length > 200) return null;
          const ip = clientAddress({
            peer: header(req.headers, peerAddressHeader),
            forwardedFor: header(req.headers, "x-forwarded-for"),
            trustedProxies: readEnv().LIFTOFF_TRUSTED_PROXY,
          });
          const result = await signIn(db, {
            email,
            password,
            ip,
            userAgent: header(req.headers, "user-agent"),
          });
          if (result.ok) {
            return {
              id: String(result.actor.id),
              email: result.actor.email,
              name: result.actor.name,
            };
          }
          if (result.reason === "rate_limited") {
            throw new Error(`${signInErrors.rateLimited}:${result.retryAfterSeconds}`);
          }
          if (result.reason === "inactive") throw new Error(signInErrors.inactive);
          return null;
        },
      }),
    ],
    callbacks: {
      // Where next-auth sends the browser after sign-in or sign-out: never off this origin.
      redirect({ url, baseUrl }) {
        return sameOriginCallbackUrl(url, baseUrl);
      },
      // Only the user id travels in the token; role and active state are read
      // fresh on every request (see currentActor).
      jwt({ token, user }) {
        if (user) token.uid = Number(user.id);
        return token;
      },
      session({ session, token }) {
        return { ...session, uid: token.uid };
      },
    },
  };
}
