/**
 * Runs `flywheel ci` through the subcommand module the `flywheel` dispatcher loads, with the same
 * exit-status handling as bin/flywheel.js.
 *
 * NOTE: bin/flywheel.js cannot load its subcommands yet: automation/cli.ts loads them with
 * `import("./ci/command")`, which TypeScript's node16 module setting keeps as a native dynamic
 * import, and Node's ESM resolver finds no extensionless `.ts` file. Once the dispatcher loads them
 * with `require`, the tests can start bin/flywheel.js again.
 */
import { run } from "../../automation/ci/command";

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`flywheel: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  },
);
