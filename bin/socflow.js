#!/usr/bin/env node
// The compiled CLI lives in dist/; `make build` (run by every make target) produces it.
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    console.error('socflow: not built yet; run `make build` (or `npm run build`) first');
    process.exit(2);
  }
  throw err;
});
