"""Report sections. Each module has render(ctx) -> list of markdown lines (empty: section
absent). ORDER is the report's order; a colleague adding a section adds a module here and
puts it in ORDER. ctx: .res (model.Results), .pub (published.json or None), .plots
({key: png}), .testbed_md (path or None)."""
from . import (header, summary, netperf, paper, sensitivity, micro, protection, peers, dut,
               realpeers, modeled, testbed, trap_emulate)

ORDER = [summary, header, netperf, paper, sensitivity, micro, protection, peers, dut, realpeers,
         modeled, testbed, trap_emulate]


class Ctx:
    def __init__(self, res, pub=None, plots=None, testbed_md=None):
        self.res, self.pub, self.plots, self.testbed_md = res, pub, plots or {}, testbed_md


def render(ctx):
    lines = []
    for mod in ORDER:
        lines += mod.render(ctx)
    return "\n".join(lines) + "\n"
