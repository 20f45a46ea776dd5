// Checks catalog entities (a JSON array on stdin) the way Backstage's
// catalog backend does before it accepts them: the default entity policies
// (default namespace, no foreign root fields, field formats, the entity
// envelope schema) and the validator of each entity's kind, then every
// entity reference (owner, system, domain, dependsOn, dependencyOf) parsed
// with Backstage's own parser. Prints {"checked": N, "problems": [...]} and
// exits 0; a problem names the entity and what Backstage said.
import { readFileSync } from 'node:fs';
import {
  EntityPolicies,
  DefaultNamespaceEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  FieldFormatEntityPolicy,
  SchemaValidEntityPolicy,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  parseEntityRef,
} from '@backstage/catalog-model';

const validators = {
  Resource: resourceEntityV1alpha1Validator,
  System: systemEntityV1alpha1Validator,
  Domain: domainEntityV1alpha1Validator,
  Component: componentEntityV1alpha1Validator,
  Group: groupEntityV1alpha1Validator,
};
// The kind a reference of each field defaults to, as the catalog's
// built-in kinds processor reads them.
const refs = {
  owner: 'Group',
  system: 'System',
  domain: 'Domain',
  dependsOn: undefined,
  dependencyOf: undefined,
};

const policy = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

const entities = JSON.parse(readFileSync(0, 'utf8'));
if (!Array.isArray(entities)) {
  console.error('check.mjs: stdin must be a JSON array of entities');
  process.exit(2);
}
const problems = [];
for (const [i, raw] of entities.entries()) {
  const id = `#${i} ${raw?.kind}:${raw?.metadata?.name}`;
  let entity;
  try {
    entity = await policy.enforce(raw);
  } catch (e) {
    problems.push(`${id}: ${e.message}`);
    continue;
  }
  const validator = validators[entity.kind];
  if (!validator) {
    problems.push(`${id}: kind ${entity.kind} has no validator here`);
    continue;
  }
  try {
    if (!(await validator.check(entity))) {
      problems.push(`${id}: the ${entity.kind} validator does not take apiVersion ${entity.apiVersion}`);
      continue;
    }
  } catch (e) {
    problems.push(`${id}: ${e.message}`);
    continue;
  }
  for (const [field, defaultKind] of Object.entries(refs)) {
    const v = entity.spec?.[field];
    for (const ref of v === undefined ? [] : Array.isArray(v) ? v : [v]) {
      try {
        parseEntityRef(ref, { defaultKind, defaultNamespace: entity.metadata.namespace });
      } catch (e) {
        problems.push(`${id}: spec.${field} ${JSON.stringify(ref)}: ${e.message}`);
      }
    }
  }
}
console.log(JSON.stringify({ checked: entities.length, problems }));
