// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'public/build/', 'appPackage/build/', 'test-output/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', window: 'readonly', document: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The product never depends on the simulator, and features never reach back into the composition
  // root (src/app), which wires them: the flow stays one-way.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/app/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/sim/**', '**/sim'], message: 'src/ is the product: it must not import the simulator (sim/).' },
        { group: ['**/app/**', '../app', '../../app'], message: 'Features receive what they need from the composition root (src/app); they do not import it.' },
      ] }],
    },
  },
  {
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/sim/**', '**/sim'], message: 'src/ is the product: it must not import the simulator (sim/).' },
      ] }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
