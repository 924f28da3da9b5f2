#!/usr/bin/env node
// Entry point of the `flywheel` command. The sources are TypeScript and run through ts-node, so the
// command works right after `npm ci` with no build step. Type checking is left to `npm run typecheck`.
"use strict";
const path = require("node:path");

require("ts-node").register({
  project: path.join(__dirname, "..", "tsconfig.json"),
  transpileOnly: true,
});

const { main } = require("../automation/cli.ts");
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`flywheel: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  },
);
