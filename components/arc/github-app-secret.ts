import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Inputs of {@link GithubAppSecret}. All three credentials are stored as Pulumi secrets. */
export interface GithubAppSecretArgs {
  /** Name of the Kubernetes Secret, which scale sets name in `githubConfigSecret`. */
  secretName: string;
  /** Namespace of the scale sets that use it. */
  namespace: pulumi.Input<string>;
  /** Numeric ID of the GitHub App. */
  appId: pulumi.Input<string>;
  /** Installation ID of the App. */
  installationId: pulumi.Input<string>;
  /** PEM private key of the App. */
  privateKey: pulumi.Input<string>;
}

/**
 * GitHub App credentials in the keys ARC reads: `github_app_id`, `github_app_installation_id` and
 * `github_app_private_key`. Values go through `stringData`, so the API server encodes them and the
 * program never handles base64.
 */
export class GithubAppSecret extends pulumi.ComponentResource {
  /** The Kubernetes Secret. */
  readonly secret: k8s.core.v1.Secret;
  /** Name of the Kubernetes Secret. */
  readonly secretName: string;

  constructor(name: string, args: GithubAppSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:arc:GithubAppSecret", name, {}, opts);
    this.secretName = args.secretName;

    this.secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name: args.secretName, namespace: args.namespace },
        type: "Opaque",
        stringData: {
          github_app_id: pulumi.secret(args.appId),
          github_app_installation_id: pulumi.secret(args.installationId),
          github_app_private_key: pulumi.secret(args.privateKey),
        },
      },
      { parent: this },
    );

    // Plain values only, so that an update can apply the plan its preview saved (see ArcController).
    this.registerOutputs({ secretName: this.secretName });
  }
}
