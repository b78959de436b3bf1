export { assertAdmin, loadActiveActor, type Actor } from "./actor";
export { hashPassword, verifyPassword } from "./password";
export { signIn, signInLimits, type SignInAttempt, type SignInResult } from "./sign-in";
export { createFirstAdmin, needsSetup, type FirstAdminInput } from "./setup";
