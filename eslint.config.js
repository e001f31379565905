// Flat config: typescript-eslint's recommended rules over the TypeScript sources, and the
// layering the README promises, enforced: a folder of src/ may import only the folders below it.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

/** src/ folders from the bottom up. theory only needs util; report draws its sections. */
const LAYERS = ['util', 'backend', 'data', 'models', 'attacks', 'train', 'theory', 'experiments', 'report'];
/** Top-level folders that use the library; nothing in src/ may import them. */
const TOOLS = ['repro', 'notebooks', 'bench', 'data-scripts', 'test'];
/** How deep files sit below src/<layer>/ (webgpu kernels and table configs are one folder down). */
const MAX_NESTING = 3;

/**
 * One config per layer and nesting depth: an import path is relative, so from a file k folders
 * below src/<layer>/ the layers are exactly k + 1 `../` away and the top-level folders k + 2.
 */
function layerBoundaries() {
  const configs = [];
  LAYERS.forEach((layer, i) => {
    const above = LAYERS.slice(i + 1);
    for (let k = 0; k < MAX_NESTING; k++) {
      const patterns = [
        {
          regex: `^(\\.\\./){${k + 2}}(${TOOLS.join('|')})(/|$)`,
          message: `src/ is the library: it never imports ${TOOLS.join(', ')}.`,
        },
      ];
      if (above.length > 0)
        patterns.push({
          regex: `^(\\.\\./){${k + 1}}(${above.join('|')})(/|$)`,
          message: `src/${layer} sits below ${above.join(', ')} (dependencies run ${LAYERS.join(' ← ')}): move the shared piece down instead.`,
        });
      configs.push({
        files: [`src/${layer}/${'*/'.repeat(k)}*.ts`],
        rules: { 'no-restricted-imports': ['error', { patterns }] },
      });
    }
  });
  configs.push({
    files: ['bench/**/*.ts', 'data-scripts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: '(^|/)repro(/|$)', message: 'tools use the library (src/), not the harness.' }],
        },
      ],
    },
  });
  return configs;
}

module.exports = tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'results/', '.data/', '.gpu/', '.cache/', 'coverage/', 'notebooks/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerBoundaries(),
  {
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    // CommonJS scripts run by Node (this file, packages/biamat's loader and build).
    languageOptions: {
      globals: {
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
  },
);
