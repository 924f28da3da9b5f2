import type { Workflow } from "../model";
import { nodeProject } from "../steps";
import type { FamilyContext } from "./context";

/** Builds the Runner Benchmarks workflow, started by hand, which times render and audit on one lane. */
export function runnerBenchmarksWorkflow(context: FamilyContext): Workflow {
  return {
    name: "Runner Benchmarks",
    on: { workflow_dispatch: {} },
    permissions: { contents: "read" },
    defaults: { run: { shell: "bash" } },
    jobs: {
      benchmark: {
        name: "benchmark",
        "runs-on": context.lane,
        "timeout-minutes": 30,
        steps: [
          ...nodeProject(),
          {
            name: "Benchmark render and audit",
            run: `{
  echo "## Runner benchmarks on $RUNNER_NAME (lane ${context.lane})"
  echo '\`\`\`'
  npm run --silent bench
  npm run --silent bench:audit
  echo '\`\`\`'
} | tee -a "$GITHUB_STEP_SUMMARY"`,
          },
        ],
      },
    },
  };
}
