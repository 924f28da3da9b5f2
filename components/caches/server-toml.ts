import type { AtticConfig } from "../../config/caches";

/** Environment variable from which Attic reads its HS256 JWT key when `[jwt.signing]` is absent. */
export const JWT_KEY_ENV = "ATTIC_SERVER_TOKEN_HS256_SECRET_BASE64";

/** Values of Attic's `server.toml`. */
export interface ServerTomlSettings {
  /** Port the server listens on inside the pod. */
  listenPort: number;
  /** Canonical API endpoint clients are given; must end with a slash. */
  apiEndpoint: string;
  /** PostgreSQL connection URL, including the password. */
  databaseUrl: string;
  /** S3 endpoint URL. */
  storageEndpoint: string;
  /** S3 region name. */
  storageRegion: string;
  /** S3 bucket. */
  storageBucket: string;
  /** Chunking thresholds in bytes. */
  chunking: AtticConfig["chunking"];
  /** Compression type and level. */
  compression: AtticConfig["compression"];
  /** Collector interval and default retention period. */
  garbageCollection: AtticConfig["garbageCollection"];
}

// TOML basic strings use the same escapes as JSON strings for every character JSON.stringify
// escapes, so JSON.stringify quotes a TOML string correctly. No TOML library is installed, and
// this file writes only strings, integers and tables.
function tomlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * Renders Attic's `server.toml`. The result contains the database password, so callers wrap it in
 * `pulumi.secret` and store it only in a Kubernetes Secret. The JWT key is not written here:
 * Attic reads it from {@link JWT_KEY_ENV}, which the pods take from the Secret `attic-jwt-signing`.
 * S3 keys come from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` in the same way.
 */
export function renderServerToml(settings: ServerTomlSettings): string {
  const lines = [
    `listen = ${tomlString(`[::]:${settings.listenPort}`)}`,
    `api-endpoint = ${tomlString(settings.apiEndpoint)}`,
    "",
    "[database]",
    `url = ${tomlString(settings.databaseUrl)}`,
    "",
    "[storage]",
    `type = "s3"`,
    `region = ${tomlString(settings.storageRegion)}`,
    `bucket = ${tomlString(settings.storageBucket)}`,
    `endpoint = ${tomlString(settings.storageEndpoint)}`,
    "",
    "[chunking]",
    `nar-size-threshold = ${settings.chunking.narSizeThreshold}`,
    `min-size = ${settings.chunking.minSize}`,
    `avg-size = ${settings.chunking.avgSize}`,
    `max-size = ${settings.chunking.maxSize}`,
    "",
    "[compression]",
    `type = ${tomlString(settings.compression.type)}`,
    `level = ${settings.compression.level}`,
    "",
    "[garbage-collection]",
    `interval = ${tomlString(settings.garbageCollection.interval)}`,
    `default-retention-period = ${tomlString(settings.garbageCollection.defaultRetentionPeriod)}`,
    "",
    `# [jwt.signing] is left out: the HS256 key arrives in ${JWT_KEY_ENV} from the Secret attic-jwt-signing.`,
    "",
  ];
  return lines.join("\n");
}
