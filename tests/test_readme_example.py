"""The README's "In an Amaranth design" example, taken from the README itself: it
elaborates, and in simulation a task ENQUEUEd through its bus comes back from DEQUEUE
and a task BLOCKed on vector 2 is woken by an edge of ``dev_irq[2]``."""

import re
from pathlib import Path

from amaranth.sim import Simulator

from atsintc.regmap import PRIO_SHIFT, RegisterMap

README = Path(__file__).resolve().parents[1] / "README.md"


def example_namespace():
    text = README.read_text()
    code = re.search(r"<!-- example -->\n```python\n(.*?)```\n<!-- /example -->", text,
                     re.S).group(1)
    ns = {"__name__": "readme_example"}
    exec(compile(code, str(README), "exec"), ns)
    return ns


def test_readme_example():
    soc = example_namespace()["MySoC"]()
    regs = RegisterMap(soc.intc.params)

    def word_addr(window, name, proc=0, index=0):
        return regs.address(window, name, index=index, process=proc) // 4

    async def access(ctx, adr, write=False, data=0):
        bus = soc.bus
        ctx.set(bus.adr, adr)
        ctx.set(bus.we, write)
        ctx.set(bus.dat_w, data)
        ctx.set(bus.sel, 0xF)
        ctx.set(bus.cyc, 1)
        ctx.set(bus.stb, 1)
        for _ in range(8):
            await ctx.tick()
            if ctx.get(bus.ack):            # the access completes at the next edge
                value = ctx.get(bus.dat_r)
                break
        else:
            raise AssertionError("no ack")
        await ctx.tick()
        ctx.set(bus.cyc, 0)
        ctx.set(bus.stb, 0)
        return value

    task = 0x1230 | (1 << PRIO_SHIFT)

    async def bench(ctx):
        await access(ctx, word_addr("PROCESS", "ENQUEUE", proc=1), True, task)
        assert ctx.get(soc.cpu_irq) == 0       # IRQ_ENABLE is 0 after reset
        assert await access(ctx, word_addr("PROCESS", "DEQUEUE", proc=1)) == task
        assert await access(ctx, word_addr("PROCESS", "DEQUEUE", proc=1)) == 0
        await access(ctx, word_addr("PROCESS", "BLOCK", proc=0, index=2), True, task)
        ctx.set(soc.dev_irq, 0b0100)
        for _ in range(4):
            await ctx.tick()
        assert await access(ctx, word_addr("PROCESS", "DEQUEUE", proc=0)) == task

    sim = Simulator(soc)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
