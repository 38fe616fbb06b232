// ESLint for the browser code of the shared layer: every script and style sheet of the package
// (layers/shared/haochaping/web/static), which the pages inline (one request, nothing from other
// hosts). Run from the repository's root, as `make lint` does: given --config, ESLint takes the
// working directory as the base of the patterns below.
import css from "@eslint/css";
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    // A disable comment that no longer disables anything is an error, so none outlives its reason.
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    // Each script is a classic <script> of its own page: no modules, no bundler.
    files: ["layers/shared/haochaping/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: { ...globals.browser },
    },
    rules: {
      ...js.configs.recommended.rules,
      eqeqeq: "error",
      "no-implicit-globals": "error",
      "no-throw-literal": "error",
      strict: ["error", "function"],
    },
  },
  {
    files: ["layers/shared/haochaping/**/*.css"],
    language: "css/css",
    plugins: { css },
    rules: {
      ...css.configs.recommended.rules,
      // A font list may name a font a browser lacks: it takes the next (font-family-fallbacks
      // makes sure a generic family ends every list).
      "css/use-baseline": ["error", { allowPropertyValues: { "font-family": ["ui-monospace"] } }],
    },
  },
];
