import * as assert from "node:assert/strict";

import { unknownCheckingProxy } from "@pulumi/policy";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";

import { credentialKeyReason, credentialValueReason } from "../../policy/rules/configmap-credentials";
import { servingProblem } from "../../policy/rules/fleet-label-served";
import { hostedLabelReason } from "../../policy/rules/hosted-labels";
import { imageProblem, parseImageReference } from "../../policy/rules/pinned-images";
import { toPlain, UNKNOWN_AT_PREVIEW } from "../../policy/rules/plain";
import type { ScaleSet } from "../../policy/rules/scale-sets";

describe("policy rules", function () {
  describe("toPlain", function () {
    it("marks a proxied unknown value", function () {
      const plain = toPlain(unknownCheckingProxy({ content: unknownValue }));
      assert.deepEqual(plain, { content: UNKNOWN_AT_PREVIEW });
    });

    it("copies known nested values", function () {
      const plain = toPlain(unknownCheckingProxy({ values: { maxRunners: 5, names: ["a"] } }));
      assert.deepEqual(plain, { values: { maxRunners: 5, names: ["a"] } });
    });

    it("marks an unknown array element", function () {
      const plain = toPlain(unknownCheckingProxy({ names: ["a", unknownValue] }));
      assert.deepEqual(plain, { names: ["a", UNKNOWN_AT_PREVIEW] });
    });
  });

  describe("parseImageReference", function () {
    const cases: [string, { tag?: string; digest?: string }][] = [
      ["busybox", { tag: undefined, digest: undefined }],
      ["busybox:1.37.0", { tag: "1.37.0", digest: undefined }],
      ["registry.local:5000/busybox", { tag: undefined, digest: undefined }],
      ["registry.local:5000/team/busybox:1.37.0", { tag: "1.37.0", digest: undefined }],
      ["ghcr.io/a/b@sha256:abc", { tag: undefined, digest: "sha256:abc" }],
      ["ghcr.io/a/b:1.0@sha256:abc", { tag: "1.0", digest: "sha256:abc" }],
    ];
    for (const [image, expected] of cases) {
      it(`splits ${image}`, function () {
        assert.deepEqual(parseImageReference(image), expected);
      });
    }
  });

  describe("imageProblem", function () {
    const digest = "sha256:" + "ab".repeat(32);
    const cases: [string, string, boolean][] = [
      ["pinned tag", "buchgr/bazel-remote-cache:v2.4.4", false],
      ["digest", `ghcr.io/zhaofengli/attic@${digest}`, false],
      ["latest tag", "buchgr/bazel-remote-cache:latest", true],
      ["Latest in capitals", "buchgr/bazel-remote-cache:Latest", true],
      ["no tag", "buchgr/bazel-remote-cache", true],
      ["short digest", "ghcr.io/zhaofengli/attic@sha256:abc", true],
    ];
    for (const [name, image, unpinned] of cases) {
      it(`judges ${name}`, function () {
        assert.equal(imageProblem(image) !== undefined, unpinned);
      });
    }
  });

  describe("credentialKeyReason", function () {
    const cases: [string, boolean][] = [
      ["DATABASE_PASSWORD", true],
      ["githubToken", true],
      ["client-secret", true],
      ["private_key", true],
      ["JWT", true],
      ["aws_access_key_id", true],
      ["token_ttl", false],
      ["password_file", false],
      ["secretName", false],
      ["ATTIC_SERVER", false],
      ["author", false],
    ];
    for (const [key, credential] of cases) {
      it(`judges ${key}`, function () {
        assert.equal(credentialKeyReason(key) !== undefined, credential);
      });
    }
  });

  describe("credentialValueReason", function () {
    const cases: [string, string, boolean][] = [
      ["plain URL", "http://attic.nix-cache.svc.cluster.local", false],
      ["URL with user only", "https://user@example.test/repo", false],
      ["URL with password", "postgres://attic:pw@attic-pg-rw:5432/attic", true],
      ["private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n", true],
      ["certificate", "-----BEGIN CERTIFICATE-----\nabc\n", false],
      ["JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", true],
      ["assignment", "[jwt]\nsecret = 'abc'\n", true],
      ["assignment from environment", "password = ${DB_PASSWORD}\n", false],
      ["assignment with a default", 'password="${DB_PASSWORD:-}"\n', false],
      ["command substitution", "TOKEN=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)\n", false],
      ["literal after a reference", "TOKEN=$HOME-abc\n", true],
    ];
    for (const [name, value, credential] of cases) {
      it(`judges ${name}`, function () {
        assert.equal(credentialValueReason(value) !== undefined, credential);
      });
    }
  });

  describe("hostedLabelReason", function () {
    const cases: [string, boolean][] = [
      ["ubuntu-latest", true],
      ["Windows-2022", true],
      ["macos-15", true],
      ["self-hosted", true],
      ["x64", true],
      ["tinyland-nix", false],
      ["ubuntufan", false],
    ];
    for (const [label, hosted] of cases) {
      it(`judges ${label}`, function () {
        assert.equal(hostedLabelReason(label) !== undefined, hosted);
      });
    }
  });

  describe("servingProblem", function () {
    const scaleSet = (overrides: Partial<ScaleSet>): ScaleSet => ({
      label: "tinyland-nix",
      maxRunners: 5,
      enabled: true,
      source: "Helm release gh-nix",
      ...overrides,
    });

    it("accepts a scale set with runners", function () {
      assert.equal(servingProblem("tinyland-nix", [scaleSet({})]), undefined);
    });

    it("matches labels case-insensitively", function () {
      assert.equal(servingProblem("Tinyland-Nix", [scaleSet({})]), undefined);
    });

    it("accepts the chart's unlimited default", function () {
      assert.equal(servingProblem("tinyland-nix", [scaleSet({ maxRunners: undefined })]), undefined);
    });

    it("rejects maxRunners 0", function () {
      assert.match(servingProblem("tinyland-nix", [scaleSet({ maxRunners: 0 })]) ?? "", /maxRunners 0/);
    });

    it("rejects maxRunners unknown at preview", function () {
      assert.match(
        servingProblem("tinyland-nix", [scaleSet({ maxRunners: UNKNOWN_AT_PREVIEW })]) ?? "",
        /unknown at preview/,
      );
    });

    it("accepts one serving scale set among several", function () {
      const scaleSets = [scaleSet({ maxRunners: 0 }), scaleSet({ source: "lane of stack runners-dev" })];
      assert.equal(servingProblem("tinyland-nix", scaleSets), undefined);
    });
  });
});
