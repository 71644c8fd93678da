"""vfreport: the benchmark's Python side (benchmarks/run.sh only orchestrates processes).

Modules:
  stats     confidence intervals as netperf -I LEVEL,WIDTH -i MAX,MIN computes them
  model     results.json data model: records, cells, netperf figures, service demand
  names     strategy and mode names, from vfapp (the one source)
  records   turning tool output into records (what run.sh used to do inline)
  noise     load average, busy-machine check, CPU placement of a process tree's threads
  plots     matplotlib figures
  sections  one module per report section, rendered in sections.ORDER
  cli       `python3 -m vfreport SUBCOMMAND ...` (see cli.py)

The results.json schema is documented in benchmarks/README.md.
"""
