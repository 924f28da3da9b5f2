// Entry point of the Pulumi program. Each stack names its family in `flywheel:family`. The
// configuration is parsed once here and handed to that family's stack function, whose return value
// becomes the stack's outputs.
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./stacks/config";
import { runStack } from "./stacks";

export = async (): Promise<Record<string, unknown>> => {
  const config = readStackConfig(pulumi.getStack());
  return runStack(config);
};
