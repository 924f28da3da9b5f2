// Compiles the project's TypeScript sources as `require` loads them, for the `flywheel` command.
//
// This is a small CommonJS hook around swc's transpiler rather than a general one, for start-up time,
// because `flywheel audit` is timed against other linters. Measured on `flywheel audit --help`
// (2 cores, Node.js 20), ts-node in its swc mode took about 0.30 s: it loads the TypeScript compiler
// to read tsconfig.json even when swc transpiles. tsx took 0.22 s, but it inspects every JavaScript
// module loaded, which added about 0.3 s to `flywheel render` and its Pulumi SDK. This hook took
// 0.13 to 0.18 s. Tests and benchmarks still run through ts-node, which can also type-check.
//
// The options restate what ts-node derives from tsconfig.json (target ES2022, module node16, strict,
// esModuleInterop): CommonJS output that keeps `import()` native, so ESM-only packages such as
// @actions/expressions load through Node's own import. Type checking is left to `npm run typecheck`.
"use strict";
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const swc = require("@swc/core");

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

const baseOptions = {
  swcrc: false,
  configFile: false,
  module: { type: "commonjs", strictMode: true, noInterop: false, ignoreDynamic: true },
  jsc: {
    parser: { syntax: "typescript", tsx: false, dynamicImport: true, importAssertions: true },
    target: "es2022",
    keepClassNames: true,
    transform: { useDefineForClassFields: true },
    experimental: { keepImportAttributes: true, emitAssertForImportAttributes: true },
  },
};

/** Registers the hook for `.ts` files outside node_modules. A package's own `.ts` files are not compiled. */
function register() {
  Module._extensions[".ts"] = function compileTypeScript(module, filename) {
    if (filename.includes(NODE_MODULES)) {
      throw new Error(
        `cannot load ${filename}: it is a package's TypeScript source, and packages must ship JavaScript`,
      );
    }
    // Source maps cost time on every module, so they are made only when Node.js uses them (node
    // --enable-source-maps). Stack traces then point into the TypeScript sources.
    const { code } = swc.transformSync(fs.readFileSync(filename, "utf8"), {
      ...baseOptions,
      filename,
      sourceMaps: process.sourceMapsEnabled ? "inline" : false,
    });
    module._compile(code, filename);
  };
}

module.exports = { register };
