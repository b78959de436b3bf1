import js from "@eslint/js";
import nextPlugin from "@next/eslint-plugin-next";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

const frameworkFree = [
  { group: ["@/app/*", "../app/*"], message: "lib/ and db/ never import from app/." },
  { group: ["next", "next/*"], message: "lib/ and db/ stay framework-free." },
];
const testCode = ["**/*.test.ts", "**/testing/**"];
// The store runs as a process of its own (`npm run store`): the instance's
// code (app/, its lib/ capabilities, its start-up hooks) never loads it.
const storeFromInstance = {
  group: ["@/lib/store", "@/lib/store/*"],
  message:
    "The instance reaches the store through StoreClient and @/lib/store-contract only: the store is a server of its own.",
};

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      ".next/**",
      ".data/**",
      "drizzle/**",
      "test-results/**",
      "playwright-report/**",
      "next-env.d.ts",
      "*.config.mjs",
      "scripts/*.mjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  // The standard Next.js set: its own rules (core web vitals) and React's
  // hooks rules, with exhaustive-deps an error, not a warning to scroll past.
  nextPlugin.configs["core-web-vitals"],
  reactHooks.configs.flat.recommended,
  {
    rules: { "react-hooks/exhaustive-deps": "error" },
  },
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The mistakes STYLE.md names: a Promise used as a condition, an
      // un-awaited write.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/only-throw-error": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["app/**/*.{ts,tsx}", "instrumentation*.ts", "proxy.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [storeFromInstance] }] },
  },
  {
    // Admin screens read through lib/<capability> functions that take the
    // actor and assert the role, never straight from db/: a page that forgot
    // its own requireAdmin() would otherwise stream its data to anyone.
    files: ["app/(app)/admin/**/*.{ts,tsx}", "app/(app)/cloud/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@/db/*", "!@/db/schema", "!@/db/client"],
              message: "Admin pages read through lib/ functions that take the admin actor.",
            },
            storeFromInstance,
          ],
        },
      ],
    },
  },
  {
    files: ["lib/**/*.ts", "db/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: frameworkFree }] },
  },
  // The store and the instance are separate servers: each side's code imports
  // only the contract (lib/store-contract), never the other's. Tests and
  // testing/ rigs are exempt: they start a real store beside the instance.
  // (A later block's no-restricted-imports replaces the earlier one, so each
  // repeats frameworkFree.)
  {
    files: ["lib/store/**/*.ts"],
    ignores: testCode,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...frameworkFree,
            {
              group: [
                "@/lib/upload",
                "@/lib/upload/*",
                "@/lib/migration",
                "@/lib/migration/*",
                "**/upload/*",
                "**/migration/*",
              ],
              message:
                "The store never imports the instance's code; both share only @/lib/store-contract.",
            },
          ],
        },
      ],
    },
  },
  {
    // Both sides import the contract, so it imports neither: zod only.
    files: ["lib/store-contract/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@/*", "../*"],
              message: "The store's contract imports nothing of either side: zod only.",
            },
          ],
        },
      ],
    },
  },
  {
    // Every instance capability in lib/: the store's code and the contract
    // have their own blocks above.
    files: ["lib/**/*.ts"],
    ignores: [...testCode, "lib/store/**", "lib/store-contract/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [...frameworkFree, storeFromInstance] }],
    },
  },
);
