"""The address decoder against the register map's own decode (every register element
of every window, unaligned and unmapped addresses, both data widths)."""

import pytest
from amaranth.sim import Simulator

from atsintc.gateware.decoder import AddressDecoder
from atsintc.regmap import Params, RegisterMap


@pytest.mark.parametrize("params", [Params(processes=3, vectors=5, channels=2),
                                    Params(processes=1, vectors=1, channels=1, xlen=64)],
                         ids=["rv32", "rv64"])
def test_decoder_matches_the_register_map(params):
    rmap = RegisterMap(params)
    wb = params.xlen // 8
    addr_width = (params.size // wb - 1).bit_length()
    dut = AddressDecoder(rmap, addr_width, wb)
    offsets = list(range(0, params.size, wb))
    names = [f"{w.name}_{r.name}" for w in rmap.windows for r in w.registers]

    async def bench(ctx):
        seen = set()
        for off in offsets:
            ctx.set(dut.adr, off // wb)
            for we in (0, 1):
                ctx.set(dut.we, we)
                want = rmap.decode(off)
                hits = {n for n in names if ctx.get(getattr(dut.hit, n))}
                if want is None:
                    assert not hits and not ctx.get(dut.mapped), (hex(off), hits)
                    continue
                wname, proc, reg, idx = want
                key = f"{wname}_{reg.name}"
                assert hits == {key}, (hex(off), hits)
                seen.add(key)
                if reg.is_array():
                    assert ctx.get(getattr(dut.index, key)) == idx, hex(off)
                if proc is not None:
                    assert ctx.get(dut.proc) == proc and ctx.get(dut.proc_oh) == 1 << proc
                else:
                    assert ctx.get(dut.proc_oh) == 0
                direction = "W" if we else "R"
                assert ctx.get(dut.mapped) == (direction in reg.access), (hex(off), we)
                assert ctx.get(dut.writable) == ("W" in reg.access)
        assert seen == set(names)           # every register was reached

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
