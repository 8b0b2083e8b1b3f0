// Lint: typed rules everywhere, and workflows/ kept deterministic (no Node built-ins, no I/O).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**', 'scripts/**', 'web/dist/**', '*.js', '*.mjs', '*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
    },
  },
  {
    files: [
      'workflows/**/*.ts',
      'domain/lifecycle.ts',
      'domain/health.ts',
      'domain/planning.ts',
      'domain/summary.ts',
      'domain/reasons.ts',
      'domain/waves.ts',
      'domain/freeze.ts',
      'domain/policy-check.ts',
      'domain/freeze-holds.ts',
      'domain/notify-delivery.ts',
      'domain/bake.ts',
      'domain/confirmation.ts',
      'domain/controls.ts',
      'domain/rollback-plan.ts',
      'domain/rollout-events.ts',
      'domain/stage-analysis.ts',
      'domain/run-history.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })) },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'fetch', 'process'],
    },
  },
  {
    // Redis belongs to store/: everything else asks the Store (and the stores it builds) by name, so
    // key shapes, hash tags and Lua scripts are decided in one place. Entry points hand the store a
    // connection from runtime/redis.ts; tests and the bench may reach under it on their own.
    files: ['api/**/*.ts', 'activities/**/*.ts', 'worker/**/*.ts', 'cli/**/*.ts', 'sim/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['ioredis', 'ioredis/*'], message: 'Redis is reached through store/ (the Store and its sibling stores).' },
            { group: ['**/store/keys', '**/store/scripts'], message: 'Redis keys and scripts belong to store/: ask the Store.' },
          ],
        },
      ],
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
