/**
 * Helpers for the shipping tests (k8s-*, alerts-*, e2e/prometheus-*): the repo's
 * paths, external tools (kustomize, promtool) that must be installed — a missing
 * tool fails the test with the install command, never skips it — and parsing of
 * the manifests, rules and dashboard.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments, parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const run = promisify(execFile);

/** Repo root: dist/test/unit/ → ../../.. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const K8S = path.join(ROOT, 'k8s');
export const RULES_FILE = path.join(K8S, 'monitoring', 'prometheusrule.yaml');
export const RULES_TEST_FILE = path.join(K8S, 'monitoring', 'tests', 'irsa-probe.rules.test.yml');
export const DASHBOARD_FILE = path.join(K8S, 'monitoring', 'grafana-dashboard.json');
export const OPERATIONS_DOC = path.join(ROOT, 'docs', 'operations.md');
/** The rule file name the promtool unit tests load (rule_files in RULES_TEST_FILE). */
export const RULES_FILE_NAME = 'irsa-probe.rules.yml';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: unknown };

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool; a missing binary throws an error naming the install step. */
export async function tool(cmd: string, args: readonly string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(cmd, [...args], { cwd: opts.cwd ?? ROOT, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { code?: unknown; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(`${cmd} is not installed: run scripts/install-tools.sh (as root) first`);
    }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
}

async function onPath(cmd: string): Promise<boolean> {
  const r = await run('sh', ['-c', `command -v ${cmd}`]).then(
    () => true,
    () => false,
  );
  return r;
}

/** `kustomize build DIR`, or `kubectl kustomize DIR` when only kubectl is there. */
export async function kustomizeBuild(dir: string): Promise<ToolResult> {
  if (await onPath('kustomize')) return tool('kustomize', ['build', dir]);
  if (await onPath('kubectl')) return tool('kubectl', ['kustomize', dir]);
  throw new Error('neither kustomize nor kubectl is installed: run scripts/install-tools.sh kustomize (it names what to install)');
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`YAML error: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export async function readYaml<T>(file: string): Promise<T> {
  return parseYaml(await readFile(file, 'utf8')) as T;
}

export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  interval?: string;
  rules: AlertRule[];
}
export interface RuleFile {
  groups: RuleGroup[];
}

/** The Prometheus rule file inside k8s/monitoring/prometheusrule.yaml (its `.spec`). */
export async function loadRules(): Promise<RuleFile> {
  const obj = await readYaml<{ kind: string; spec: RuleFile }>(RULES_FILE);
  if (obj.kind !== 'PrometheusRule') throw new Error(`${RULES_FILE} is a ${obj.kind}, not a PrometheusRule`);
  return obj.spec;
}

export function renderRules(rules: RuleFile): string {
  return stringifyYaml(rules, { lineWidth: 0 });
}

/** A temp dir removed by the returned cleanup (fixtures.ts's makeTempDir, under the name alerts-rules and e2e/prometheus-alerts import). */
export { makeTempDir as tempDir } from './fixtures.js';

export async function writeRules(dir: string, rules: RuleFile, name = RULES_FILE_NAME): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, renderRules(rules));
  return file;
}

export interface DashboardTarget {
  expr?: string;
  datasource?: { type?: string; uid?: string };
  refId?: string;
}
export interface DashboardPanel {
  id: number;
  title: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}
export interface Dashboard {
  title: string;
  uid: string;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query?: unknown; datasource?: { uid?: string } }[] };
}

export async function loadDashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every panel, rows' children included. */
export function allPanels(panels: readonly DashboardPanel[]): DashboardPanel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Grafana's template variables replaced by values PromQL accepts. */
export function substituteDashboardVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?(namespace|pod)\}?/g, '.*');
}

const PROMQL_KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan',
]);

/**
 * The metric names a PromQL expression selects. Strips strings, label matchers,
 * range/subquery brackets and grouping clauses; what is left that looks like an
 * identifier and is not a function call or keyword is a metric name.
 */
export function metricNamesIn(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/#.*$/gm, ' ');
  s = s.replace(/\b\d+(\.\d+)?([eE][+-]?\d+)?[smhdwy]?\b/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const after = s.slice((m.index ?? 0) + word.length);
    if (/^\s*\(/.test(after)) continue; // function or aggregation call
    if (PROMQL_KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names].sort();
}

/** Names a histogram or counter family exposes in the text format. */
export function exposedNames(family: string): string[] {
  return [family, `${family}_bucket`, `${family}_sum`, `${family}_count`];
}
