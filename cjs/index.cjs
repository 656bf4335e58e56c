"use strict";
// The entry point for `require("backrefs")`. backrefs is an ES module; Node 20.19 and later (and
// 22.12 and later) can load an ES module from require(), so this hands back the very same module
// that `import "backrefs"` gives. Older Node versions cannot: say so in one sentence instead of
// Node's generic ERR_REQUIRE_ESM.
try {
  module.exports = require("../dist/index.js");
} catch (error) {
  const code = error && error.code;
  if (code === "ERR_REQUIRE_ESM" || code === "ERR_REQUIRE_ASYNC_MODULE") {
    throw new Error(
      'backrefs is an ES module (ESM-only) and this Node cannot require() it: use `const backrefs = await import("backrefs")`, ' +
        "or run Node 20.19 or later, which loads ES modules from require().",
      { cause: error },
    );
  }
  throw error;
}
