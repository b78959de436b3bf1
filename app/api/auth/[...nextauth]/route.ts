import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { authOptions } from "@/app/_lib/auth-options";

type Context = { params: Promise<{ nextauth: string[] }> };

async function handler(request: NextRequest, context: Context): Promise<Response> {
  return (await NextAuth(request, context, await authOptions())) as Response;
}

export { handler as GET, handler as POST };
