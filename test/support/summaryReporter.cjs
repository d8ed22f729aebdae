'use strict';
// Spec output plus the closing line CI reads: "N passed, N failed, N skipped".
// After it, an exit watchdog: a test run whose process is still alive a few seconds after its summary is
// held by something a test left running. It prints what holds the process (the leak guard names it and
// the test file that started it, see leakGuard.ts) and exits non-zero, so a leak fails the run in
// seconds instead of hanging it.
const Mocha = require('mocha');
const { EVENT_RUN_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;

const WATCHDOG_MS = Number(process.env.HERALD_TEST_EXIT_WATCHDOG_MS || 5000);

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    // What the process holds before any test (its own stdio): not reported as held by a test.
    const before = process.getActiveResourcesInfo();
    const failed = [];
    runner.on(EVENT_TEST_FAIL, (test) => failed.push(`${test.fullTitle()}${test.file ? ` (${test.file.replace(`${process.cwd()}/`, '')})` : ''}`));
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      // One line per failure just above the summary, so the tail of a long log (all CI keeps) names them.
      for (const title of failed) process.stdout.write(`FAILED: ${title}\n`);
      process.stdout.write(`${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped\n`);
      armExitWatchdog(before);
    });
  }
}

function armExitWatchdog(before) {
  // Unref'd: when nothing else holds the process it ends as usual, and this never fires.
  const timer = setTimeout(() => {
    const resources = process.getActiveResourcesInfo();
    for (const resource of before) {
      const at = resources.indexOf(resource);
      if (at >= 0) resources.splice(at, 1);
    }
    const guard = globalThis[Symbol.for('herald.test.leakGuard.list')];
    const named = typeof guard === 'function' ? guard() : [];
    const lines = [
      `The test process was still running ${WATCHDOG_MS / 1000} s after the summary: something a test started was never stopped.`,
      `  held by: ${resources.join(', ') || 'nothing Node reports'}`,
      ...named.map((line) => `  - ${line}`),
      'Exiting with code 1.',
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
    // Registered last, so it runs after mocha's own exit listener, which sets the code to the failure count.
    process.on('exit', () => {
      process.exitCode = 1;
    });
    process.exit(1);
  }, WATCHDOG_MS);
  timer.unref();
}

module.exports = SummaryReporter;
