export * from "./users";
export * from "./content";
export * from "./system";
export * from "./migration";
export * from "./reports";
export * from "./cluster";
export * from "./store";
