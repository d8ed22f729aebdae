/**
 * Herald's Microsoft 365 Agents Toolkit project files as tests read them: the yml lifecycles, what each
 * action reads (`${{VAR}}` in its inputs and in the files it resolves) and what it writes to the
 * environment, the Bicep template's parameters and outputs, and the VS Code tasks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseEnv } from 'dotenv';
import YAML from 'yaml';
import { placeholdersIn } from '../../../src/appPackage/placeholders.js';
import { REPO_ROOT } from './projectCopy.js';

export interface Step {
  uses: string;
  name?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  writeToEnvironmentFile?: Record<string, string>;
}

export interface ProjectFile {
  version: string;
  environmentFolderPath?: string;
  provision?: Step[];
  deploy?: Step[];
  publish?: Step[];
}

export const LIFECYCLES = ['provision', 'deploy', 'publish'] as const;

export const readProjectText = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
export const readProject = (file: string): ProjectFile => YAML.parse(readProjectText(file)) as ProjectFile;
export const stepsOf = (project: ProjectFile): Step[] => LIFECYCLES.flatMap((lifecycle) => project[lifecycle] ?? []);
export const stepLabel = (step: Step): string => `${step.uses}${step.name ? ` (${step.name})` : ''}`;

/** The committed env template: every name it declares, with its (possibly empty) value. */
export const envTemplate = (env: string): Record<string, string> => parseEnv(readProjectText(`env/.env.${env}`));

/** VS Code's .json files allow // comments (JSONC); these have none inside strings. */
export const readJsonc = <T>(path: string): T => JSON.parse(readProjectText(path).replace(/^\s*\/\/.*$/gm, '')) as T;

export interface Bicep {
  params: { name: string; type: string; hasDefault: boolean; secure: boolean }[];
  outputs: string[];
  /** `name: 'X'` entries of appSettings. */
  appSettings: string[];
}

/** A line-level reading of a Bicep file: enough to cross-check it against the parameters file and env. */
export function readBicep(path: string): Bicep {
  const lines = readProjectText(path).split('\n');
  const params: Bicep['params'] = [];
  lines.forEach((line, index) => {
    const match = /^param (\w+) (\w+)(\s*=.*)?$/.exec(line.trim());
    if (!match) return;
    let secure = false;
    for (let i = index - 1; i >= 0 && lines[i].trim().startsWith('@'); i--) if (lines[i].trim() === '@secure()') secure = true;
    params.push({ name: match[1], type: match[2], hasDefault: match[3] !== undefined, secure });
  });
  const outputs = lines.flatMap((line) => /^output (\w+) \w+ =/.exec(line)?.[1] ?? []);
  const text = lines.join('\n');
  const settingsBlock = /appSettings: \[([\s\S]*?)\n {6}\]/.exec(text)?.[1] ?? '';
  const appSettings = Array.from(settingsBlock.matchAll(/name: '([A-Z0-9_]+)'/g), (m) => m[1]);
  return { params, outputs, appSettings };
}

// `node scripts/ensureSecret.mjs NAME` prints `::set-teamsfx-env NAME=…` (scripts/ensureSecret.mjs).
const ENSURE_SECRET = /^node scripts\/ensureSecret\.mjs (SECRET_[A-Z0-9_]+)$/;

const manifestVariables = placeholdersIn(readProjectText('appPackage/manifest.json'));

/** Every variable a step resolves: its own inputs and the templates it expands. */
export function variablesRead(step: Step): string[] {
  const used = placeholdersIn(JSON.stringify({ with: step.with, env: step.env }));
  const input = step.with ?? {};
  if ('manifestPath' in input || 'appPackagePath' in input) {
    // teamsApp/* resolve appPackage/manifest.json; aadApp/update resolves the Entra manifest it names.
    used.push(...(step.uses === 'aadApp/update' ? placeholdersIn(readProjectText(String(input.manifestPath))) : manifestVariables));
  }
  if (step.uses === 'arm/deploy') {
    for (const template of input.templates as { parameters?: string }[]) if (template.parameters) used.push(...placeholdersIn(readProjectText(template.parameters)));
  }
  return [...new Set(used)];
}

/** Every variable a step writes to the environment file (https://aka.ms/teamsfx-actions). */
export function variablesWritten(step: Step): string[] {
  const written = Object.values(step.writeToEnvironmentFile ?? {});
  // arm/deploy writes each Bicep output under its own name.
  if (step.uses === 'arm/deploy') for (const template of step.with?.templates as { path: string }[]) written.push(...readBicep(template.path).outputs);
  const secret = step.uses === 'script' ? ENSURE_SECRET.exec(String(step.with?.run))?.[1] : undefined;
  if (secret) written.push(secret);
  return written;
}

/** Variables an action generates for itself when they are empty (read and written by the same step). */
export function variablesGenerated(step: Step): string[] {
  // The yaml schema: "If the manifest uses AAD_APP_ACCESS_AS_USER_PERMISSION_ID and the environment
  // variable is empty, this action will generate a random id and output it."
  return step.uses === 'aadApp/update' ? ['AAD_APP_ACCESS_AS_USER_PERMISSION_ID'] : [];
}

interface Task {
  label: string;
  type?: string;
  command?: string;
  dependsOn?: string[];
  args?: { env?: string; ports?: { writeToEnvironmentFile?: Record<string, string> }[] };
}

export const vscodeTasks = (): Task[] => readJsonc<{ tasks: Task[] }>('.vscode/tasks.json').tasks;

/** What the tasks `label` depends on write to env/.env.<env> before its provision task runs. */
export function writtenBeforeProvision(label: string, env: string): string[] {
  const tasks = vscodeTasks();
  const byLabel = new Map(tasks.map((t) => [t.label, t]));
  const written: string[] = [];
  for (const name of byLabel.get(label)?.dependsOn ?? []) {
    const task = byLabel.get(name);
    if (task?.command === 'provision') break;
    if (task?.command === 'debug-start-local-tunnel' && task.args?.env === env) {
      for (const port of task.args.ports ?? []) written.push(...Object.values(port.writeToEnvironmentFile ?? {}));
    }
  }
  return written;
}
