export { assertAdmin, loadActiveActor, type Actor } from "./actor";
export { hashPassword, verifyPassword } from "./password";
export { signIn, type SignInAttempt, type SignInOptions, type SignInResult } from "./sign-in";
export { deleteStaleThrottleRows, signInThrottlePolicy, type ThrottlePolicy } from "./throttle";
export { clientAddress, peerAddressHeader, type AddressSources } from "./client-address";
export { sameOriginCallbackUrl } from "./callback-url";
export { createFirstAdmin, needsSetup, type FirstAdminInput } from "./setup";
