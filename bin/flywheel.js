#!/usr/bin/env node
// Entry point of the `flywheel` command. The sources are TypeScript, compiled as they load by the hook
// in register.js, so the command works right after `npm ci` with no build step.
"use strict";
require("./register").register();

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
