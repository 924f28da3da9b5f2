import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AtticConfig } from "../../config/caches";
import {
  JWT_SECRET_KEY,
  JWT_SECRET_NAME,
  SERVER_CONFIG_DIR,
  SERVER_CONFIG_PATH,
  SERVER_CONFIG_SECRET_NAME,
} from "./attic";
import { JWT_KEY_ENV } from "./server-toml";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./workload";

/** Inputs of {@link AtticCacheBootstrap}. */
export interface AtticCacheBootstrapArgs {
  /** Attic settings: the server image that mints the token, the cache to create and the uid. */
  settings: AtticConfig;
  /** Namespace of Attic, where the Job runs next to the Secrets it reads. */
  namespace: k8s.core.v1.Namespace;
  /** In-cluster URL of the Attic Service, without a trailing slash. */
  atticEndpoint: string;
  /** Resources that must be ready first: the Attic API Deployment. */
  after: pulumi.Resource[];
}

/**
 * Shell script of the bootstrap container. It reads `ATTIC_ENDPOINT`, `CACHE_NAME`, `REQUEST_BODY`,
 * `AUTHORIZATION_FILE` (a header line, read by curl so the token never appears in a command line)
 * and `RESPONSE_FILE`. Attic responds to a request for an existing cache with 400 and the
 * error CacheAlreadyExists, and other servers and proxies respond with 409 Conflict. Both mean
 * that the cache exists, so the script succeeds.
 */
export const CREATE_CACHE_SCRIPT = `set -eu
status=$(curl --silent --show-error --retry 10 --retry-connrefused --retry-delay 5 \\
  --output "$RESPONSE_FILE" --write-out '%{http_code}' \\
  --request POST \\
  --header @"$AUTHORIZATION_FILE" \\
  --header 'Content-Type: application/json' \\
  --data "$REQUEST_BODY" \\
  "$ATTIC_ENDPOINT/_api/v1/cache-config/$CACHE_NAME")
case "$status" in
  2??) echo "Created cache $CACHE_NAME." ;;
  409) echo "Cache $CACHE_NAME already exists (HTTP 409)." ;;
  400)
    if grep -q CacheAlreadyExists "$RESPONSE_FILE"; then
      echo "Cache $CACHE_NAME already exists."
    else
      echo "Creating cache $CACHE_NAME failed with HTTP 400:" >&2
      cat "$RESPONSE_FILE" >&2
      exit 1
    fi ;;
  *)
    echo "Creating cache $CACHE_NAME failed with HTTP $status:" >&2
    cat "$RESPONSE_FILE" >&2
    exit 1 ;;
esac
`;

const TOKEN_DIR = "/run/attic-bootstrap";
const AUTHORIZATION_FILE = `${TOKEN_DIR}/authorization`;
const TOKEN_SUBJECT = "flywheel-bootstrap";
// The token only has to outlive the Job's retries.
const TOKEN_VALIDITY = "1 hour";
const BACKOFF_LIMIT = 6;

/**
 * Creates the Attic cache (by default `main`: public, priority 41, with a keypair the server
 * generates) once, and succeeds again when it already exists.
 *
 * This is a Kubernetes Job rather than a `@pulumi/command` local command: the Service `attic` is
 * reachable only inside the cluster, where the Job runs, while a local command would run wherever
 * `pulumi up` runs. The Job also keeps the admin token inside the cluster: an init container mints
 * it with `atticadm` from the JWT key in the Secret `attic-jwt-signing`, so no token appears in the
 * program, its state or its logs.
 */
export class AtticCacheBootstrap extends pulumi.ComponentResource {
  /** Name of the cache the Job creates. */
  public readonly cacheName: string;

  constructor(name: string, args: AtticCacheBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flywheel:caches:CacheBootstrap", name, {}, opts);
    const settings = args.settings;
    const cache = settings.cache;
    this.cacheName = cache.name;

    const request = {
      keypair: "Generate",
      is_public: cache.isPublic,
      store_dir: "/nix/store",
      priority: cache.priority,
      upstream_cache_key_names: ["cache.nixos.org-1"],
    };

    new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: {
          name: `attic-bootstrap-${cache.name.toLowerCase().replace(/_/g, "-")}`,
          namespace: args.namespace.metadata.name,
          labels: { "app.kubernetes.io/name": "attic", "app.kubernetes.io/component": "bootstrap" },
        },
        spec: {
          backoffLimit: BACKOFF_LIMIT,
          // No ttlSecondsAfterFinished: after a refresh, Pulumi would create a Job the cluster deleted again.
          template: {
            spec: {
              restartPolicy: "OnFailure",
              securityContext: restrictedPodSecurityContext(settings.runAsUser),
              automountServiceAccountToken: false,
              initContainers: [
                {
                  name: "make-token",
                  image: settings.image,
                  command: ["/bin/sh", "-c"],
                  args: [
                    [
                      "set -eu",
                      `token=$(atticadm -f ${SERVER_CONFIG_PATH} make-token --sub ${TOKEN_SUBJECT} --validity '${TOKEN_VALIDITY}' --create-cache '${cache.name}' --configure-cache '${cache.name}')`,
                      `printf 'Authorization: Bearer %s\\n' "$token" > ${AUTHORIZATION_FILE}`,
                    ].join("\n"),
                  ],
                  env: [
                    {
                      name: JWT_KEY_ENV,
                      valueFrom: { secretKeyRef: { name: JWT_SECRET_NAME, key: JWT_SECRET_KEY } },
                    },
                  ],
                  securityContext: restrictedContainerSecurityContext(),
                  volumeMounts: [
                    { name: "server-config", mountPath: SERVER_CONFIG_DIR, readOnly: true },
                    { name: "token", mountPath: TOKEN_DIR },
                  ],
                },
              ],
              containers: [
                {
                  name: "create-cache",
                  image: settings.cache.bootstrapImage,
                  command: ["/bin/sh", "-c", CREATE_CACHE_SCRIPT],
                  env: [
                    { name: "ATTIC_ENDPOINT", value: args.atticEndpoint },
                    { name: "CACHE_NAME", value: cache.name },
                    { name: "REQUEST_BODY", value: JSON.stringify(request) },
                    { name: "AUTHORIZATION_FILE", value: AUTHORIZATION_FILE },
                    { name: "RESPONSE_FILE", value: "/tmp/response" },
                  ],
                  securityContext: restrictedContainerSecurityContext(),
                  volumeMounts: [
                    { name: "token", mountPath: TOKEN_DIR, readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                { name: "server-config", secret: { secretName: SERVER_CONFIG_SECRET_NAME } },
                { name: "token", emptyDir: { medium: "Memory" } },
                { name: "tmp", emptyDir: {} },
              ],
            },
          },
        },
      },
      // A Job's pod template cannot change in place, and the Job keeps its fixed name, so a
      // changed Job is deleted before its replacement is created.
      { parent: this, dependsOn: args.after, deleteBeforeReplace: true },
    );

    this.registerOutputs({ cacheName: this.cacheName });
  }
}
