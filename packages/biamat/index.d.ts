// The library's declarations, built from src/index.ts (npm run build).
export * from '../../dist/index';
