// ESLint (flat config): the architecture's import boundaries, unused code and a function-length limit.
// Syntax-only (no type-aware rules), so `npm run lint` stays a few seconds; `tsc --noEmit` does the typing.
// The choices are recorded in docs/decisions.md ("Guardrails: ESLint and Prettier").
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/** An import whose path runs through one of these top-level folders (relative or not). */
const through = (...folders) => `(^|/)(${folders.join("|")})/`;

/** Forbids imports from the named top-level folders, with the rule the architecture states. */
const boundary = (why, ...folders) => ({
  "no-restricted-imports": ["error", { patterns: [{ regex: through(...folders), message: why }] }],
});

/**
 * Longest function allowed, in lines of code (blank lines and comments not counted). 80 lets a route
 * table or a constructor that wires a handful of children stay in one piece, and catches the 150-line
 * functions a reader cannot name the parts of. Tests, benchmarks and soak drivers are exempt: a test's
 * `describe` callback holds its cases and a benchmark reads top to bottom as a script.
 */
const MAX_FUNCTION_LINES = 80;

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Unused code: a leading underscore marks a parameter a signature needs but the body does not.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      "max-lines-per-function": ["error", { max: MAX_FUNCTION_LINES, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ["client/**"],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ["**/*.test.ts", "test/**", "bench/**", "soak/**"],
    rules: { "max-lines-per-function": "off" },
  },
  // The folder tree is the architecture (docs/architecture.md): one block per plane, for the code that ships.
  // A test beside a plane may import the other side of a contract it checks (protocol/messages.test.ts feeds
  // what client/ builds to the schemas; mixer/recording/mp4Writer.test.ts reads its file with src/'s reader),
  // never bench/ or soak/.
  ...[
    { files: ["mixer/**"], rules: boundary("mixer/ never imports src/, client/, bench/ or soak/", "src", "client", "bench", "soak") },
    { files: ["client/**"], rules: boundary("client/ never imports src/, mixer/, bench/ or soak/", "src", "mixer", "bench", "soak") },
    {
      files: ["protocol/**"],
      rules: boundary("protocol/ is shared by server and page: it imports neither", "src", "mixer", "client", "bench", "soak"),
    },
    {
      files: ["src/**", "scripts/**"],
      rules: boundary("product code never imports bench/, soak/ or client/ (the page is built, not imported)", "bench", "soak", "client"),
    },
  ].map((block) => ({ ...block, ignores: ["**/*.test.ts"] })),
  {
    files: ["{mixer,client,protocol,src}/**/*.test.ts"],
    rules: boundary("a unit test never imports bench/ or soak/", "bench", "soak"),
  },
  { files: ["bench/**"], rules: boundary("bench/ and soak/ are separate tools", "soak") },
  { files: ["soak/**"], rules: boundary("bench/ and soak/ are separate tools", "bench") },
);
