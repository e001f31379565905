// Placeholder until the repro harness (issue 5) lands: says so and exits non-zero.
console.error('npm run repro: the repro harness is not built yet (issue 5). Nothing was run.');
process.exitCode = 2;
