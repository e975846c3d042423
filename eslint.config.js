// Typed lint, run by `npm test` before the tests (README, Development, lists the rule choices).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The console's browser scripts are plain JS for the page, outside the TypeScript build.
  { ignores: ['dist/**', 'node_modules/**', 'models/**', 'docs/**', 'daemon/console/public/**', 'eslint.config.js'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // An un-awaited promise must be awaited, handled, or marked `void` with a reason beside it.
      // tap queues and awaits its own subtests, so `t.test(...)` is not a floating promise.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: '@tapjs/test', name: 'test' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // Off: async functions without await implement Promise-returning interfaces on purpose (a
      // throw becomes a rejection); flagging them adds noise, not safety.
      '@typescript-eslint/require-await': 'off',
      // Off: tsc already checks this (noUnusedLocals, noUnusedParameters; `_x` for kept parameters).
      '@typescript-eslint/no-unused-vars': 'off',
      // Off: `'callback' | 'originate' | string` documents the known values of an open set.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      // Passing a caught error on unchanged (`reject(err)` with err: unknown) is fine.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // A `let` read by a closure before its one assignment can't be a const (temporal dead zone).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `interface X extends EventEmitter<...> {}` merges typed events into a class.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
    },
  },
);
