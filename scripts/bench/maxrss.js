// Preloaded with `node -r` by the synth benchmark: reports the process's peak RSS on exit.
process.on('exit', () => {
  if (process.env.STACKYARD_BENCH_RSS) require('node:fs').writeFileSync(process.env.STACKYARD_BENCH_RSS, String(process.resourceUsage().maxRSS));
});
