export {
  decryptSecret,
  deriveSecretKey,
  encryptSecret,
  isEncrypted,
  sealSecret,
  SecretKeyError,
  type SecretKey,
} from "./cipher";
export { instanceSecretKey } from "./key";
export {
  rotateSecrets,
  RotationRefusedError,
  type RotationKeys,
  type RotationResult,
} from "./rotate";
