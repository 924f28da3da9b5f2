import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Inputs of {@link RegistryPullSecret}. */
export interface RegistryPullSecretArgs {
  /** Name of the Secret in every namespace. */
  secretName: string;
  /** Namespaces that receive a copy, because pods reference pull secrets only in their own namespace. */
  namespaces: readonly string[];
  /** Registry host, such as `ghcr.io`. */
  server: string;
  /** Account the token belongs to. */
  username: string;
  /** Registry token, kept a Pulumi secret. */
  token: pulumi.Input<string>;
}

/** A `kubernetes.io/dockerconfigjson` pull secret, one copy per namespace. */
export class RegistryPullSecret extends pulumi.ComponentResource {
  /** The Secrets, in the order of `namespaces`. */
  readonly secrets: k8s.core.v1.Secret[];
  /** Name of the Secret in every namespace. */
  readonly secretName: string;

  constructor(name: string, args: RegistryPullSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:arc:RegistryPullSecret", name, {}, opts);
    this.secretName = args.secretName;

    const dockerConfig = pulumi.secret(args.token).apply((token) =>
      JSON.stringify({
        auths: {
          // Kubelet reads `username` and `password` when the encoded `auth` field is absent.
          [args.server]: { username: args.username, password: token },
        },
      }),
    );

    this.secrets = args.namespaces.map(
      (namespace) =>
        new k8s.core.v1.Secret(
          `${name}-${namespace}`,
          {
            metadata: { name: args.secretName, namespace },
            type: "kubernetes.io/dockerconfigjson",
            stringData: { ".dockerconfigjson": dockerConfig },
          },
          { parent: this },
        ),
    );

    // Plain values only, so that an update can apply the plan its preview saved (see ArcController).
    this.registerOutputs({ secretName: this.secretName, namespaces: args.namespaces });
  }
}
