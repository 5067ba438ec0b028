/** Renders one run's Results as bench/RESULTS.md. */
import { figures, fmtCpu, fmtMiB, fmtMs, fmtX, type Figure } from './figures.js';
import { findings } from './findings.js';
import { misses } from './misses.js';
import { settledSlope } from './exp-leak.js';
import { EARLY_CYCLES } from './exp-steady.js';
import { cpuPerDefaultCycle, DEFAULT_INTERVAL_S, KUBELET_PERIOD_S, type Results } from './results.js';
import { ratio, type Summary } from './stats.js';

const range = (s: Summary, f: (v: number) => string): string => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const row = (cells: readonly string[]): string => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly string[])[]): string => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

function verdictCell(f: Figure): string {
  if (f.met === undefined) return 'stated';
  return f.met ? '**met**' : `**missed**: ${f.miss ?? ''}`;
}

function summary(r: Results): string {
  return table(
    ['figure', 'measured', 'against (same run)', 'ratio', 'target', 'verdict'],
    figures(r).map((f) => [f.title, f.measured, f.against, f.ratio, f.target, verdictCell(f)]),
  );
}

function machineSection(r: Results): string {
  const m = r.machine;
  return [
    '## Machine and versions',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${m.cpuModel}, ${m.cores} cores`],
        ['memory', fmtMiB(m.memoryBytes)],
        ['OS / kernel', `${m.os} / ${m.kernel}`],
        ['Node.js (bench, probe, sandbox)', m.node],
        ['irsa-probe', `${m.probeVersion} at ${m.revision}`],
        ['AWS CLI', `${r.awsCli} (/usr/bin/aws, Debian's \`awscli\`)`],
        ['measured with', `${r.gnuTime} (one-shot CPU and maxrss), /proc/<pid>/stat and /status (serve), autocannon 9 (load)`],
        ['load average (1/5/15 min) at start → end', `${r.loadAverageStart} → ${r.loadAverageEnd}`],
        ['run', `${r.mode} mode, started ${r.startedAt}, took ${(r.seconds / 60).toFixed(1)} min`],
      ],
    ),
  ].join('\n');
}

function commandsSection(r: Results): string {
  return [
    '## Commands',
    '',
    `Reproduce with \`npm run bench\` (full) or \`npm run build && node dist/bench/run.js --quick\`. Every process gets a minimal environment: \`PATH\`, a private \`HOME\`, \`LANG\`, and the sandbox's env file (\`AWS_ROLE_ARN\`, \`AWS_WEB_IDENTITY_TOKEN_FILE\`, \`AWS_REGION\`, \`AWS_STS_REGIONAL_ENDPOINTS=regional\`, \`AWS_ENDPOINT_URL_STS\`, …) without \`IRSA_PROBE_S3_BUCKET\` (S3 check off: the exec probe only talks to STS).`,
    '',
    '```sh',
    'node dist/sandbox/main.js --scenario healthy --env-out $DIR/sandbox.env --dir $DIR/world        # the sandbox, its own process',
    'AWS_DATA_PATH=$DIR/aws-data HOME=$DIR/home /usr/bin/time -f "%U %S %M %e %x" /usr/bin/aws sts get-caller-identity --output json',
    '/usr/bin/time -f "%U %S %M %e %x" node dist/src/main.js check',
    "/usr/bin/time -f \"%U %S %M %e %x\" node -e ''",
    'node dist/src/main.js serve --host 127.0.0.1 --port 0 --interval 100ms                         # CPU per cycle, RSS',
    'node dist/bench/bare-server.js                                                                   # the runtime floor',
    'node dist/src/main.js serve --host 127.0.0.1 --port 0                                          # start to ready, idle CPU, load',
    `autocannon -c 1 -R ${r.load.readyz.targetRate} -d ${r.params.loadSeconds} http://127.0.0.1:PORT/livez   # then /readyz; /metrics at -R ${r.load.metrics.targetRate}; again with -c 10`,
    'node dist/bench/bare-server.js [--default-metrics 10|1000]                                      # idle CPU, next to serve',
    'node dist/sandbox/main.js --credentials-duration 328s ...; node dist/src/main.js serve --interval 500ms   # STS per hour, 1/120 clock',
    '```',
    '',
    "AWS CLI 2.9 (Debian 12's package) predates `AWS_ENDPOINT_URL_STS` (CLI 2.13), so the bench points it at the sandbox the way botocore allows: `AWS_DATA_PATH` holds an STS endpoint rule set whose one rule is the sandbox's URL. All of the CLI's STS calls go there, including the `AssumeRoleWithWebIdentity` of its web-identity provider; the credential chain, its credential cache in `$HOME/.aws/cli/cache`, SigV4 and the region scope are the CLI's own. The private `HOME` persists across the CLI runs, as a container's does between exec probes.",
  ].join('\n');
}

function oneShotSection(r: Results): string {
  const o = r.oneShot;
  const rows = [o.aws, o.check, o.nodeEmpty].map((s) => [`\`${s.command}\``, range(s.cpuSeconds, fmtCpu), range(s.maxRssBytes, fmtMiB), range(s.wallMs, (v) => fmtMs(v)), range(s.stsCalls, (v) => v.toFixed(0)), range(s.assumesPerRun, (v) => v.toFixed(0))]);
  return [
    '### One-shot processes',
    '',
    `${o.aws.cpuSeconds.n} measured runs each, interleaved (aws, check, node, aws, …) after one unmeasured round; CPU is user+system from GNU time, peak memory is maxrss. Medians, min–max in parentheses.`,
    '',
    table(['process', 'CPU', 'peak RSS', 'wall', 'STS calls', 'of which AssumeRoleWithWebIdentity'], rows),
    '',
    `\`irsa-probe check\` runs env → token → sts → chain: one AssumeRoleWithWebIdentity and GetCallerIdentity for the sts check, and the SDK's default chain resolves (and is verified) on its own. The CLI reuses the credentials in its cache after the first run, so it makes one call per run.`,
  ].join('\n');
}

function steadyRow(s: Results['steady'], floor: Results['floor']): string[] {
  return [
    s.nodeOptions === '' ? '(none: Node.js defaults)' : `\`${s.nodeOptions}\``,
    `${s.cycles}`,
    fmtCpu(s.cpuSecondsPerCycle),
    s.earlyCpuSecondsPerCycle === undefined ? '—' : fmtCpu(s.earlyCpuSecondsPerCycle),
    `${s.cyclesPerSecond.toFixed(1)}`,
    fmtMiB(s.rssFromBytes),
    fmtMiB(s.rssEndBytes),
    `${s.rssEndBytes - s.rssFromBytes >= 0 ? '+' : ''}${fmtMiB(s.rssEndBytes - s.rssFromBytes)}`,
    fmtMiB(s.peakRssBytes),
    s.heapUsedBytes === undefined ? '?' : `${fmtMiB(s.heapUsedBytes)} / ${fmtMiB(s.heapTotalBytes ?? 0)}`,
    fmtMiB(floor.rss.median),
  ];
}

function grewLines(leak: NonNullable<Results['leak']>): string[] {
  if (leak.grew.length === 0) return [];
  return [table(['what grew most between the first and last snapshot (V8 type:constructor)', 'objects', 'bytes'], leak.grew.map((g) => [`\`${g.group}\``, `${g.count >= 0 ? '+' : ''}${g.count}`, `${g.bytes >= 0 ? '+' : ''}${(g.bytes / 1024).toFixed(1)} KiB`])), ''];
}

function leakParagraph(r: Results): string[] {
  const leak = r.leak;
  if (leak === undefined) return [];
  const points = leak.points.map((p) => `${fmtMiB(p.liveHeapBytes)} in ${p.heapObjects} objects at cycle ${p.cycle} (RSS ${fmtMiB(p.rssBytes)}, raised by taking the snapshot)`).join(', ');
  const settled = settledSlope(leak.points);
  const kib = (b: number): string => `${b >= 0 ? '+' : ''}${(b / 1024).toFixed(1)} KiB`;
  return [
    `**Live heap.** A separate \`serve --interval 100ms\` run under \`NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2\` took heap snapshots (each runs a full GC first): ${points}. Over the whole run that is ${kib(leak.bytesPer1000Cycles)} of live heap per 1,000 cycles; from cycle ${settled.from} on, ${kib(settled.bytesPer1000Cycles)} per 1,000 cycles (${kib(settled.bytesPer1000Cycles * 1.44)} a day at the default interval, 1,440 cycles). The table names what grew between the first and last snapshot; \`code\` is V8's compiled code (JIT warm-up), \`hidden\` its internal bookkeeping.`,
    '',
    ...grewLines(leak),
  ];
}

function steadySection(r: Results): string {
  const s = r.steady;
  const head = ['NODE_OPTIONS', 'cycles', 'CPU per cycle', `CPU per cycle to cycle ${EARLY_CYCLES}`, 'cycles/s', `RSS at cycle ${s.memoryFromCycle}`, 'RSS at the end', 'growth', 'peak RSS', 'heap used / total', 'bare server RSS'];
  const rows = [steadyRow(s, r.floor), ...r.variants.map((v) => steadyRow(v.steady, v.floor))];
  return [
    '### `serve` at the minimum interval',
    '',
    `\`serve --interval 100ms\` (S3 off, other settings default) from process start to cycle ${s.cycles}. CPU per cycle = Δ(utime+stime) / Δ\`irsa_probe_cycles_total\` over cycles 20→${s.cycles}; the probe was scraped only at both ends (progress was followed through the sandbox's counters). The sandbox counted ${s.getCallerIdentityPerCycle.toFixed(3)} GetCallerIdentity per cycle and ${s.assumesInWindow} AssumeRoleWithWebIdentity in the window: a steady-state cycle costs one STS call. RSS values are medians of /proc samples (every 0.5 s) within ±25 cycles of the checkpoint, and over the last 50 cycles.${r.variants.length > 0 ? ` The rows after the first repeat the run for ${r.params.variantCycles} cycles with V8 flags, next to the bare server under the same flags.` : ''}`,
    '',
    table(head, rows),
    '',
    ...leakParagraph(r),
    `Idle \`serve\` at the default interval (60 s) used ${fmtCpu(r.load.idleCpuPerSecond)} per second over ${r.load.idleSeconds} s (heartbeat once a second, timers, GC), so one check at the defaults costs ${fmtCpu(cpuPerDefaultCycle(r))} including its 60 s of idling: ${((cpuPerDefaultCycle(r) / DEFAULT_INTERVAL_S) * 1000).toFixed(3)} millicores on average.`,
  ].join('\n');
}

function cpuPerHour(r: Results): string {
  const aws = r.oneShot.aws.cpuSeconds.median;
  const serveHour = cpuPerDefaultCycle(r) * (3600 / DEFAULT_INTERVAL_S);
  const rows = [
    [`\`irsa-probe serve\`, interval ${DEFAULT_INTERVAL_S} s`, `${(serveHour).toFixed(2)} CPU-s`, '1×'],
    [`exec probe \`aws sts get-caller-identity\`, periodSeconds ${DEFAULT_INTERVAL_S}`, `${(aws * (3600 / DEFAULT_INTERVAL_S)).toFixed(1)} CPU-s`, fmtX(ratio(aws * (3600 / DEFAULT_INTERVAL_S), serveHour), 1)],
    [`exec probe, kubelet's default periodSeconds ${KUBELET_PERIOD_S}`, `${(aws * (3600 / KUBELET_PERIOD_S)).toFixed(1)} CPU-s`, fmtX(ratio(aws * (3600 / KUBELET_PERIOD_S), serveHour), 0)],
  ];
  return ['### CPU per pod per hour', '', table(['what', 'CPU per hour', 'vs serve'], rows), '', "The exec probe's figure leaves out kubelet's and the container runtime's own cost of each exec, so it is a lower bound."].join('\n');
}

function modulesSection(r: Results): string {
  const rows = r.modules.map((m) => [m.label, range(m.cpuSeconds, fmtCpu), m.id === 'base' ? '—' : fmtCpu(m.extraCpuSeconds), range(m.maxRssBytes, fmtMiB), m.id === 'base' ? '—' : fmtMiB(m.extraRssBytes)]);
  return [
    '### What loading each dependency costs',
    '',
    `\`node --input-type=module -e "await import('…')"\` from the repository root under GNU time, ${r.modules[0]?.cpuSeconds.n ?? 0} interleaved rounds; "above baseline" subtracts the same command importing nothing. Rows overlap (the AWS SDK packages share their smithy core), so they do not add up to the \`main.js\` row.`,
    '',
    table(['import', 'CPU', 'above baseline', 'peak RSS', 'above baseline'], rows),
  ].join('\n');
}

function startupSection(r: Results): string {
  const s = r.startup;
  return [
    '### Start to ready',
    '',
    `\`serve\` at its defaults, ${s.readyMs.n} starts: from spawn to the first \`/readyz\` 200 (polled every 5 ms once the port is announced) ${range(s.readyMs, (v) => fmtMs(v))}; of that, spawn to the "started" log line (modules loaded, listening) ${range(s.listeningMs, (v) => fmtMs(v))}, the rest is the first cycle. \`node -e ''\` from spawn to exit: ${range(s.nodeEmptyMs, (v) => fmtMs(v))}.`,
  ].join('\n');
}

function loadSection(r: Results): string {
  const l = r.load;
  const rows = l.runs.map((x) => [x.url.replace(/^http:\/\/[^/]+/, ''), `${x.connections}`, `${x.targetRate}/s`, `${x.achievedRate.toFixed(0)}/s`, `${x.responses}`, fmtMs(x.p50Ms, 3), fmtMs(x.p99Ms, 3), fmtMs(x.maxMs, 2), `${x.autocannonP99Ms} ms`, `${x.non2xx}`, `${x.errors}`, `${x.serverCpuMsPerRequest.toFixed(3)} CPU-ms`]);
  const idle = l.idle.map((i) => [i.what, `${i.cpuMsPerSecond.toFixed(2)} CPU-ms/s`, `${((i.cpuMsPerSecond * 3600) / 1000).toFixed(1)} CPU-s`]);
  return [
    '### Idle CPU',
    '',
    `Over the same ${l.idleSeconds} s window (after 5 s to settle), each process idling in parallel; a scheduled cycle falling into the window is taken out of \`serve\`'s figure at the measured CPU per cycle. Clock-tick resolution is 10 ms per process.`,
    '',
    table(['process', 'CPU per second', 'per hour'], idle),
    '',
    '### Endpoints under load',
    '',
    `autocannon from the benchmark's process (a second process to \`serve\`), keep-alive connections, fixed overall rate, ${r.params.loadSeconds} s per run after an unmeasured warm-up; \`serve\` at its defaults, ready. autocannon's rate limit lets each connection send its share of each second's requests back to back: with 1 connection the server is busy through that burst but no request waits behind another (a prober or a scraper); with 10, each request can queue behind 9 others. The figures use 1 connection; 10 are shown for the harsher pattern. Percentiles are exact, from every response's latency; autocannon's own p99 (whole milliseconds, corrected for coordinated omission) is listed too. \`serve\` used ${fmtCpu(l.loadCpuSeconds)} over all runs. The sandbox counted ${l.stsCalls} STS calls across them and the probe ran ${l.scheduledCycles} scheduled cycles: ${l.extraStsCalls} extra calls came from probe traffic (handlers only read the last report).`,
    '',
    table(['path', 'connections', 'rate', 'achieved', 'responses', 'p50', 'p99', 'max', 'autocannon p99', 'non-2xx', 'errors', "serve's CPU per request"], rows),
  ].join('\n');
}

function stsSection(r: Results): string {
  const s = r.stsRate;
  const per = (n: number, pods: number): string => `${((n * pods) / 3600).toFixed(1)}/s`;
  const exec = r.oneShot.aws.stsCalls.median * (3600 / KUBELET_PERIOD_S);
  const measured = s.projected.total + s.model.total - s.modelWithoutIdentityChecks.total;
  const fleet = [
    ['irsa-probe at the defaults (model)', s.model.total.toFixed(1), per(s.model.total, 1000), per(s.model.total, 10_000)],
    [`irsa-probe, measured (1/${s.scale} clock, + identity interval)`, measured.toFixed(1), per(measured, 1000), per(measured, 10_000)],
    ['naive: AssumeRoleWithWebIdentity + GetCallerIdentity every 60 s', s.naive.total.toFixed(0), per(s.naive.total, 1000), per(s.naive.total, 10_000)],
    [`exec probe \`aws sts get-caller-identity\` every ${KUBELET_PERIOD_S} s (CLI credential cache working: ${r.oneShot.aws.stsCalls.median} call per run)`, exec.toFixed(0), per(exec, 1000), per(exec, 10_000)],
    [`the same without a writable HOME (no cache: 2 calls per run)`, (2 * 3600 / KUBELET_PERIOD_S).toFixed(0), per(720, 1000), per(720, 10_000)],
  ];
  return [
    '### STS calls per pod per hour',
    '',
    'By design (DESIGN.md, "Fleet safety") a steady-state cycle makes one AssumeRoleWithWebIdentity call with the current token: every cycle re-proves the trust chain. GetCallerIdentity runs at the first cycle after each identity interval (15 min) and when the identity changes. The chain check resolves the SDK default chain each cycle, which the SDK memoises; when the SDK refreshes its credentials (5 min before expiry) that costs one AssumeRoleWithWebIdentity and one GetCallerIdentity to verify the new key. Per hour:',
    '',
    table(
      ['', 'GetCallerIdentity', 'AssumeRoleWithWebIdentity', 'total'],
      [
        ['model at the defaults', s.model.getCallerIdentity.toFixed(2), s.model.assumeRoleWithWebIdentity.toFixed(2), s.model.total.toFixed(2)],
        ['model without the identity interval', s.modelWithoutIdentityChecks.getCallerIdentity.toFixed(2), s.modelWithoutIdentityChecks.assumeRoleWithWebIdentity.toFixed(2), s.modelWithoutIdentityChecks.total.toFixed(2)],
        [`measured, 1/${s.scale} clock, projected to 60 cycles/h`, s.projected.getCallerIdentity.toFixed(2), s.projected.assumeRoleWithWebIdentity.toFixed(2), s.projected.total.toFixed(2)],
        ['naive design', s.naive.getCallerIdentity.toFixed(0), s.naive.assumeRoleWithWebIdentity.toFixed(0), s.naive.total.toFixed(0)],
      ],
    ),
    '',
    `Measurement: a second sandbox issuing 328 s credentials (close to expiry 27.5 s after issue, i.e. 55 min / ${s.scale}), \`serve --interval 500ms\`, for ${s.wallSeconds.toFixed(0)} s = ${s.scaledHours.toFixed(1)} scaled hours: ${s.cycles} cycles, ${s.getCallerIdentity} GetCallerIdentity, ${s.assumeRoleWithWebIdentity} AssumeRoleWithWebIdentity; re-assumption every ${s.reassumeEveryMinutes === undefined ? 'n/a (fewer than two seen)' : `${s.reassumeEveryMinutes.toFixed(1)} scaled minutes`}. GetCallerIdentity (the first success and the chain's verifications) and AssumeRoleWithWebIdentity beyond one per cycle (the SDK chain's renewals) are scaled per hour; one per cycle is projected to the default 60 cycles an hour (the measured cycles were ${((s.cycles / s.scaledHours)).toFixed(1)} per scaled hour, as each 500 ms interval also holds a cycle's own duration). The identity interval is not scaled (it is at least 1 min) and its calls are added from the model. With whole-hour windows the count of the hourly events can be off by one event per window${r.mode === 'quick' ? `; the quick mode's ${s.scaledHours.toFixed(1)} scaled hours make its figure coarse` : ''}.`,
    '',
    '**Fleet arithmetic** (STS is per account and region; the steady-state load is spread evenly only thanks to the ±10% jitter):',
    '',
    table(['design', 'calls per pod per hour', '1,000 pods', '10,000 pods'], fleet),
  ].join('\n');
}

function imageSection(r: Results): string {
  if (!r.image.available) return `### Image\n\nNot available: ${r.image.why}.`;
  const f = r.image.figures;
  return [
    '### Image',
    '',
    `From \`.tmp/container-figures.json\` (scripts/container-test.sh, written ${f.writtenAt}): image \`${f.image}\` ${(f.imageBytes / 1e6).toFixed(1)} MB on \`${f.base}\` (${(f.baseBytes / 1e6).toFixed(1)} MB, Node ${f.nodeVersion}); the app layer is ${(f.appLayerBytes / 1e6).toFixed(2)} MB = ${fmtMiB(f.appLayerBytes)}.${f.rssBytes !== undefined ? ` The container test's own RSS reading of the probe in the container: ${fmtMiB(f.rssBytes)}.` : ''}`,
  ].join('\n');
}

export function renderMarkdown(r: Results): string {
  const missed = misses(r);
  return [
    '# irsa-probe benchmark results',
    '',
    `Written by \`node dist/bench/run.js${r.mode === 'quick' ? ' --quick' : ''}\` (${r.mode} mode) on ${r.startedAt}; do not edit by hand. Every ratio compares two things measured in this one run on this machine (noisy: ${r.machine.cores} cores, other work running; load average ${r.loadAverageStart} at the start).`,
    '',
    '## Figures',
    '',
    summary(r),
    '',
    missed,
    findings(r),
    machineSection(r),
    '',
    commandsSection(r),
    '',
    '## Details',
    '',
    oneShotSection(r),
    '',
    modulesSection(r),
    '',
    steadySection(r),
    '',
    cpuPerHour(r),
    '',
    startupSection(r),
    '',
    loadSection(r),
    '',
    stsSection(r),
    '',
    imageSection(r),
    '',
  ].join('\n');
}
