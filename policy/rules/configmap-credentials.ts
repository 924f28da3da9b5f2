import { isPlainObject } from "./plain";
import type { ResourceInput, Violation } from "./types";

/** A word that marks a key as holding a credential, with the reason it does. */
interface CredentialWord {
  word: string;
  reason: string;
}

/**
 * Words that mark a key as a credential. A key matches when one of its words (split at
 * non-alphanumerics and camelCase humps, lower-cased) is listed here, or two adjacent words form
 * a listed compound such as `private_key`.
 */
export const CREDENTIAL_WORDS: readonly CredentialWord[] = [
  { word: "password", reason: "a password" },
  { word: "passwd", reason: "a password" },
  { word: "passphrase", reason: "a passphrase" },
  { word: "secret", reason: "a secret, such as a client secret or a signing key" },
  { word: "token", reason: "an access or bearer token" },
  { word: "private_key", reason: "a private key" },
  { word: "privatekey", reason: "a private key" },
  { word: "jwt", reason: "a JSON Web Token or its signing key" },
  { word: "credentials", reason: "credentials" },
  { word: "credential", reason: "credentials" },
  { word: "api_key", reason: "an API key" },
  { word: "apikey", reason: "an API key" },
  { word: "access_key", reason: "a cloud access key" },
  { word: "auth", reason: "authentication data" },
];

/**
 * Words that make a credential-looking key name something about the credential rather than the
 * credential itself (`password_file`, `secret_name`, `token_ttl`), so the key is not reported.
 */
const REFERENCE_WORDS = new Set([
  "file",
  "path",
  "name",
  "ref",
  "endpoint",
  "url",
  "ttl",
  "expiry",
  "lifetime",
  "length",
  "header",
  "type",
  "issuer",
  "audience",
  "enabled",
  "mode",
  "policy",
]);

/** A PEM private key block; certificates are public and stay allowed. */
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/;

/** A URL with a password in its user information, e.g. `postgres://user:pass@host`. */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s/@]+@/i;

/** A JSON Web Token: three base64url segments, the first two JSON objects (`eyJ`). */
const JWT_VALUE = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/;

/** A `key = value` or `key: value` line inside a configuration file held in a value. */
const ASSIGNMENT_LINE = /^\s*["']?([A-Za-z0-9_.-]+)["']?\s*[=:]\s*(.*)$/;

/**
 * An assigned value that only points elsewhere: empty, an environment reference (`$VAR`,
 * `${VAR:-x}`), a shell command substitution (`$(cat file)`), a template (`{{ .x }}`) or `env:NAME`.
 */
const REFERENCE_VALUE =
  /^(["']?)(\$[A-Za-z_][A-Za-z0-9_]*|\$\{[^}]*\}|\$\(.*\)|\{\{.*\}\}|env:\S*)?\1\s*(#.*)?$/;

/** Returns the reason a key names a credential, or `undefined` when it does not. */
export function credentialKeyReason(key: string): string | undefined {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
  if (words.some((word) => REFERENCE_WORDS.has(word))) {
    return undefined;
  }
  const candidates = [...words, ...words.slice(1).map((word, index) => `${words[index]}_${word}`)];
  for (const { word, reason } of CREDENTIAL_WORDS) {
    if (candidates.includes(word)) {
      return reason;
    }
  }
  return undefined;
}

/**
 * Returns why a value contains a credential, or `undefined`. The reasons never quote the value.
 */
export function credentialValueReason(value: string): string | undefined {
  if (PEM_PRIVATE_KEY.test(value)) {
    return "the value contains a PEM private key block";
  }
  if (URL_WITH_PASSWORD.test(value)) {
    return "the value contains a URL with a password in it";
  }
  if (JWT_VALUE.test(value)) {
    return "the value contains a JSON Web Token";
  }
  const lines = value.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const match = ASSIGNMENT_LINE.exec(lines[index]);
    if (!match) {
      continue;
    }
    const [, assignedKey, assignedValue] = match;
    const reason = credentialKeyReason(assignedKey);
    if (reason && !REFERENCE_VALUE.test(assignedValue.trim())) {
      return `line ${index + 1} assigns ${assignedKey}, which looks like ${reason}`;
    }
  }
  return undefined;
}

/**
 * Reports every key of a ConfigMap's `data` and `binaryData` that names a credential and every
 * `data` value that contains one. Credentials belong in a Secret.
 */
export function checkConfigMapCredentials(resource: ResourceInput): Violation[] {
  const violations: Violation[] = [];
  const thing = `ConfigMap ${resource.name}`;
  for (const field of ["data", "binaryData"] as const) {
    const entries = resource.props[field];
    if (!isPlainObject(entries)) {
      continue;
    }
    for (const [key, value] of Object.entries(entries)) {
      const keyReason = credentialKeyReason(key);
      if (keyReason) {
        violations.push({
          message: `${thing} ${field} key "${key}" must not contain credentials: the key names ${keyReason}; move it to a Secret`,
        });
        continue;
      }
      // NOTE: a value unknown at preview is not checked here; the engine runs this policy again
      // with the resolved value before the update applies it.
      if (field === "data" && typeof value === "string") {
        const valueReason = credentialValueReason(value);
        if (valueReason) {
          violations.push({
            message: `${thing} data key "${key}" must not contain credentials: ${valueReason}; move it to a Secret`,
          });
        }
      }
    }
  }
  return violations;
}
