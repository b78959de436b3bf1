import packageJson from "../../package.json";

/** The version of this build of Liftoff, as package.json says. */
export const appVersion: string = packageJson.version;
