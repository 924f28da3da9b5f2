import type { Job, Step, Workflow } from "../model";
import { checkout, nodeProject, setupNode, shellQuote } from "../steps";
import { PINNED_ACTIONS, usesOf } from "../actions";
import { FamilyContext, stackNames } from "./context";

/** Repository secret with a token that can read the platform repository. */
export const PLATFORM_READ_TOKEN_SECRET = "FLYWHEEL_READ_TOKEN";

/** Directory the platform repository is checked out to in other repositories' policy jobs. */
const PLATFORM_DIRECTORY = ".flywheel";

/**
 * Builds the Validate workflow. In the platform repository it checks the stack configuration, the
 * program's types and tests and the docs' formatting. Every repository's workflow audits its own
 * workflow files in the policy job, whose name is the check the default branch's ruleset requires.
 */
export function validateWorkflow(context: FamilyContext): Workflow {
  const branches = [context.defaultBranch];
  const jobs: Record<string, Job> =
    context.platform === undefined
      ? { ...platformJobs(context), policy: policyJob(context, platformPolicySteps(context)) }
      : { policy: policyJob(context, memberPolicySteps(context, context.platform)) };
  return {
    name: "Validate",
    on: { pull_request: { branches }, push: { branches } },
    permissions: { contents: "read" },
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}

function auditArguments(context: FamilyContext): string {
  const labels = context.fleetLabels.map((label) => `--label ${shellQuote(label)}`).join(" ");
  return `audit --format text ${labels} .github/workflows`;
}

function policyJob(context: FamilyContext, steps: Step[]): Job {
  return { name: context.policyCheck, "runs-on": context.lane, "timeout-minutes": 10, steps };
}

function platformPolicySteps(context: FamilyContext): Step[] {
  return [
    ...nodeProject(),
    { name: "Audit the workflows for hosted runners", run: `npx flywheel ${auditArguments(context)}` },
  ];
}

/** Steps of a policy job outside the platform repository: the audit comes from a checkout of it. */
function memberPolicySteps(
  context: FamilyContext,
  platform: { repository: string; defaultBranch: string },
): Step[] {
  const secret = `\${{ secrets.${PLATFORM_READ_TOKEN_SECRET} }}`;
  return [
    checkout(),
    {
      name: "Require the platform read token",
      env: { [PLATFORM_READ_TOKEN_SECRET]: secret },
      run: `test -n "\${${PLATFORM_READ_TOKEN_SECRET}:-}" || { echo "::error title=Secret missing::Repository secret ${PLATFORM_READ_TOKEN_SECRET} is not set; store a token that can read ${context.organization}/${platform.repository}."; exit 1; }`,
    },
    {
      name: "Check out the flywheel program",
      uses: usesOf(PINNED_ACTIONS.checkout),
      with: {
        repository: `${context.organization}/${platform.repository}`,
        ref: platform.defaultBranch,
        path: PLATFORM_DIRECTORY,
        token: secret,
        "persist-credentials": false,
      },
    },
    setupNode(),
    { name: "Install the flywheel program", run: `npm ci --prefix ${PLATFORM_DIRECTORY}` },
    {
      name: "Audit the workflows for hosted runners",
      run: `node ${PLATFORM_DIRECTORY}/bin/flywheel.js ${auditArguments(context)}`,
    },
  ];
}

function platformJobs(context: FamilyContext): Record<string, Job> {
  return {
    config: {
      name: "config",
      "runs-on": context.lane,
      "timeout-minutes": 15,
      steps: [
        ...nodeProject(),
        {
          name: "Render every stack offline",
          run: stackNames(context.environment)
            .map((stack) => `npx flywheel render --stack ${shellQuote(stack)} > /dev/null`)
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
  };
}
