// The `biamat` package: the library built from src/ into dist/. When src/ changed since the last
// build, dist/ is rebuilt first (a few seconds), so a notebook never runs stale code.
require('./build').ensureBuilt();
module.exports = require('../../dist/index.js');
