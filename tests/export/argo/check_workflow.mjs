// Validates Workflows written by `sluice export argo` (YAML files given as arguments) against the
// Argo Workflow schema of @kubernetes-models/argo-workflows, then checks every key against the
// properties the schema's types declare (the package accepts unknown keys), and the DAG itself:
// unique task names, each task's template exists and has a container with a name, dependencies
// name earlier tasks. Prints one line per problem and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import yaml from "js-yaml";
import { Workflow } from "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow";

const require = createRequire(import.meta.url);
const argoRoot = dirname(require.resolve("@kubernetes-models/argo-workflows/package.json"));
const resolveFrom = (from, specifier) => {
  if (specifier.startsWith(".")) return join(dirname(from), specifier.replace(/\.js$/, ".d.ts"));
  const [scope, name, ...rest] = specifier.startsWith("@") ? specifier.split("/") : [null, ...specifier.split("/")];
  const pkg = scope ? `${scope}/${name}` : name;
  const base = dirname(require.resolve(`${pkg}/package.json`, { paths: [argoRoot] }));
  return join(base, `${rest.join("/")}.d.ts`);
};

// The properties of the interface in a .d.ts file, each with the file of its type (or null).
const interfaces = new Map();
function properties(file) {
  if (interfaces.has(file)) return interfaces.get(file);
  const text = readFileSync(file, "utf8");
  const imports = new Map();
  for (const match of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    imports.set(match[1], resolveFrom(file, match[2]));
  }
  // A type alias of an array (`export type IArtifacts = Array<IArtifact>`): the element's type.
  const alias = text.match(/export type I\w+ = Array<(\w+)>;/);
  if (alias && !text.includes("export interface")) {
    const result = properties(imports.get(alias[1]));
    interfaces.set(file, result);
    return result;
  }
  const body = text.slice(text.indexOf("export interface"));
  const props = new Map();
  for (const match of body.matchAll(/^ {4}"([^"]+)"\??: (.+);$/gm)) {
    const type = match[2].replace(/^Array<(.+)>$/, "$1");
    props.set(match[1], imports.get(type) ?? null);
  }
  const result = { props, open: /\[key: string\]/.test(body) };
  interfaces.set(file, result);
  return result;
}

function checkKeys(value, file, path, problems) {
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkKeys(item, file, `${path}[${i}]`, problems));
    return;
  }
  if (value === null || typeof value !== "object" || file === null) return;
  const { props, open } = properties(file);
  for (const [key, child] of Object.entries(value)) {
    if (!props.has(key)) {
      if (!open) problems.push(`${path}.${key}: not a property of ${file.split("/").slice(-2).join("/")} (known: ${[...props.keys()].join(", ")})`);
      continue;
    }
    checkKeys(child, props.get(key), `${path}.${key}`, problems);
  }
}

let failed = false;
for (const file of process.argv.slice(2)) {
  const problems = [];
  const data = yaml.load(readFileSync(file, "utf8"));
  try {
    new Workflow(data).validate();
  } catch (error) {
    problems.push(`schema: ${error.message}`);
  }
  if (data.apiVersion !== "argoproj.io/v1alpha1" || data.kind !== "Workflow") problems.push("not an argoproj.io/v1alpha1 Workflow");
  checkKeys(data, join(argoRoot, "argoproj.io/v1alpha1/Workflow.d.ts"), "workflow", problems);
  const templates = new Map((data.spec?.templates ?? []).map((t) => [t.name, t]));
  const entry = templates.get(data.spec?.entrypoint);
  const tasks = entry?.dag?.tasks ?? [];
  if (tasks.length === 0) problems.push("the entrypoint has no dag tasks");
  const seen = new Set();
  for (const task of tasks) {
    if (seen.has(task.name)) problems.push(`task ${task.name}: name used twice`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(task.name)) problems.push(`task ${task.name}: not a Kubernetes name`);
    const template = templates.get(task.template);
    if (!template?.container?.name || !template.container.image) problems.push(`task ${task.name}: template ${task.template} has no container with a name and image`);
    const command = template?.container?.command ?? [];
    if (command[1] !== "run" || !command.includes("--nodes")) problems.push(`task ${task.name}: does not run sluice run --nodes`);
    for (const dependency of task.dependencies ?? []) {
      if (!seen.has(dependency)) problems.push(`task ${task.name}: depends on ${dependency}, which is not an earlier task`);
    }
    seen.add(task.name);
  }
  for (const problem of problems) console.log(`${file}: ${problem}`);
  if (problems.length > 0) failed = true;
  else console.log(`${file}: valid Workflow, ${tasks.length} tasks`);
}
process.exit(failed ? 1 : 0);
