import type { Workflow } from "../model";
import { nodeProject, shellQuote } from "../steps";
import { FamilyContext, stackNames } from "./context";

/**
 * Builds the Validate workflow: stack configuration, the program's type check and tests, the docs'
 * formatting, and the policy audit of the repository's own workflows. The policy job's name is the
 * check the default branch's ruleset requires.
 */
export function validateWorkflow(context: FamilyContext): Workflow {
  const branches = [context.defaultBranch];
  const labels = context.fleetLabels.map((label) => `--label ${shellQuote(label)}`).join(" ");
  return {
    name: "Validate",
    on: { pull_request: { branches }, push: { branches } },
    permissions: { contents: "read" },
    defaults: { run: { shell: "bash" } },
    jobs: {
      config: {
        name: "config",
        "runs-on": context.lane,
        "timeout-minutes": 15,
        steps: [
          ...nodeProject(),
          {
            name: "Render every stack offline",
            run: stackNames(context.environment)
              .map((stack) => `npx flywheel render ${shellQuote(stack)} > /dev/null`)
              .join("\n"),
          },
        ],
      },
      stacks: {
        name: "stacks",
        "runs-on": context.lane,
        "timeout-minutes": 20,
        steps: [
          ...nodeProject(),
          { name: "Type check", run: "npm run typecheck" },
          { name: "Run the tests", run: "npm test" },
        ],
      },
      docs: {
        name: "docs",
        "runs-on": context.lane,
        "timeout-minutes": 10,
        steps: [
          ...nodeProject(),
          { name: "Check the docs' formatting", run: `npx prettier --check "**/*.md"` },
        ],
      },
      policy: {
        name: context.policyCheck,
        "runs-on": context.lane,
        "timeout-minutes": 10,
        steps: [
          ...nodeProject(),
          {
            name: "Audit the workflows for hosted runners",
            run: `npx flywheel audit --format text ${labels} .github/workflows`,
          },
        ],
      },
    },
  };
}
