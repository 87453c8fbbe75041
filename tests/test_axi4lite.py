# amaranth: UnusedElaboratable=no
"""The controller's AXI4-Lite port (hdl/atsintc/gateware/axi4lite.py): handshakes cycle by cycle
in the Amaranth simulator, the exported Verilog (--bus axi4lite) linted, and the cocotb
testbench sim/tb_axi4lite.py (cocotbext-axi's AxiLiteMaster against the reference
model) on Verilator for an RV32 task-pool and an RV64 systolic configuration."""

import json
import subprocess
from dataclasses import asdict

import pytest
from amaranth.sim import Simulator

from atsintc.tools import cosim
from atsintc.gateware.axi4lite import ATSIntcAXI4Lite, Signature
from atsintc.tools.cli import main
from atsintc.tools.cosim import LINT_WAIVERS
from atsintc.tools.export import controller_verilog
from atsintc.regmap import ERRORS, Params, RegisterMap
from atsintc.tools.toolchain import require

# (id, parameters, random AXI accesses)
CONFIGS = [
    ("small", Params(processes=3, vectors=4, channels=2, ipc_depth=2, pool=8, timers=4),
     25_000),
    ("rv64-systolic", Params(processes=2, priorities=4, ready_depth=8, vectors=8,
                             blocked_depth=4, channels=3, ipc_depth=3, xlen=64,
                             queue="systolic", timers=4), 25_000),
]


def run_tb(params, ops, testcase=None):
    return cosim.run(lambda: {"atsintc.v": controller_verilog(params, bus="axi4lite")},
                     "atsintc", "tb_axi4lite", name="atsintc_axi4lite",
                     key=repr(params) + " axi4lite", testcase=testcase,
                     env=dict(ATSINTC_PARAMS=json.dumps(asdict(params)), ATSINTC_OPS=ops))


@pytest.mark.parametrize("name,params,ops", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_axi4lite_cocotb(name, params, ops):
    assert run_tb(params, ops) == len(cosim.cocotb_tests("tb_axi4lite"))


# ------------------------------------------------------------ Amaranth simulator
SMALL = Params(processes=2, priorities=2, vectors=2, channels=1, ipc_depth=1, pool=4,
               timers=2)
MAP = RegisterMap(SMALL)
ERR = {name: 1 << i for i, (name, _) in enumerate(ERRORS)}
ID = 0x41545349


def PR(p, name):
    return MAP.address("PROCESS", name, 0, process=p)


def K(name):
    return MAP.address("KERNEL", name, 0)


def simulate(aw=(), w=(), ar=(), rready=lambda c: 1, bready=lambda c: 1, cycles=40,
             params=SMALL):
    """Drive the bridge cycle by cycle. ``aw``/``w``/``ar``: lists of (earliest cycle,
    payload); each is presented from that cycle (and not before the previous one's
    transfer) and held until its transfer. ``rready``/``bready``: functions of the
    cycle. Checks in every cycle that B and R, once valid, stay valid with the same
    payload until taken, and that no ready depends on its valid in the same cycle.
    Returns the transfer cycles: {"aw": [c...], "w": [...], "ar": [...],
    "b": [(c, resp)], "r": [(c, data, resp)]}."""
    dut = ATSIntcAXI4Lite(params)
    b = dut.bus
    src = {"aw": (b.awvalid, b.awready, list(aw), {"awaddr": b.awaddr}),
           "w": (b.wvalid, b.wready, list(w), {"wdata": b.wdata, "wstrb": b.wstrb}),
           "ar": (b.arvalid, b.arready, list(ar), {"araddr": b.araddr})}
    out = {"aw": [], "w": [], "ar": [], "b": [], "r": []}

    async def bench(ctx):
        held = {}
        for c in range(cycles):
            for ch, (valid, ready, items, fields) in src.items():
                on = bool(items) and items[0][0] <= c
                # a ready must not depend on the valid of its channel in the cycle
                ctx.set(valid, 0)
                r0 = ctx.get(ready)
                ctx.set(valid, 1)
                assert ctx.get(ready) == r0, f"{ch}ready follows {ch}valid"
                ctx.set(valid, on)
                if on:
                    for f, v in items[0][1].items():
                        ctx.set(fields[f], v)
            ctx.set(b.rready, rready(c))
            ctx.set(b.bready, bready(c))
            now = {"b": (ctx.get(b.bvalid), (ctx.get(b.bresp),)),
                   "r": (ctx.get(b.rvalid), (ctx.get(b.rdata), ctx.get(b.rresp)))}
            for ch, (valid, pay) in now.items():
                if ch in held:
                    assert valid and pay == held.pop(ch), f"{ch} changed before its transfer"
            for ch, ready in (("b", bready(c)), ("r", rready(c))):
                valid, pay = now[ch]
                if valid and ready:
                    out[ch].append((c, *pay))
                elif valid:
                    held[ch] = pay
            for ch, (valid, ready, items, _) in src.items():
                if ctx.get(valid) and ctx.get(ready):
                    out[ch].append(c)
                    items.pop(0)
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return out


def wr(addr, data, strb=None, lanes=4):
    return ({"awaddr": addr}, {"wdata": data, "wstrb": (1 << lanes) - 1 if strb is None
                               else strb})


def test_read_latency_and_back_to_back():
    """AR in cycle 0 -> R valid in cycle 3; reads held on AR back to back: one R every
    2 cycles, in order."""
    regs = [K("ID"), K("CONFIG0"), PR(1, "CUR_PRIO"), K("ID")]
    out = simulate(ar=[(0, {"araddr": a}) for a in regs])
    assert [c for c, _, _ in out["r"]] == [3, 5, 7, 9]
    assert [d for _, d, _ in out["r"]] == [ID, 2 | 2 << 8 | 2 << 16 | 1 << 24, 0xFF, ID]
    assert all(resp == 0 for _, _, resp in out["r"])
    assert out["ar"] == [0, 1, 3, 5]


@pytest.mark.parametrize("aw_at,w_at", [(0, 0), (0, 4), (5, 0), (2, 3)])
def test_write_aw_w_in_any_order(aw_at, w_at):
    """AW and W together, AW first, W first: the write is made when both are there
    (B valid 3 cycles after the later one) and a read after it sees it."""
    a, d = wr(PR(0, "CUR_PRIO"), 0x42)
    out = simulate(aw=[(aw_at, a)], w=[(w_at, d)],
                   ar=[(max(aw_at, w_at) + 4, {"araddr": PR(0, "CUR_PRIO")})])
    assert out["aw"] == [aw_at] and out["w"] == [w_at]
    assert out["b"] == [(max(aw_at, w_at) + 3, 0)]
    assert [x[1] for x in out["r"]] == [0x42]


def test_partial_strobe_refused_okay():
    """A write with wstrb not all ones (non-contiguous too) is answered OKAY and
    refused by the controller: INVALID in the window's ERROR, the register unchanged."""
    aws, ws = [], []
    for i, strb in enumerate([0b0101, 0b0111, 0b0000, 0b1111]):
        a, d = wr(PR(1, "CUR_PRIO"), 0x10 + i, strb)
        aws.append((0, a))
        ws.append((0, d))
    out = simulate(aw=aws, w=ws, ar=[(20, {"araddr": PR(1, "CUR_PRIO")}),
                                     (20, {"araddr": PR(1, "ERROR")})])
    assert [resp for _, resp in out["b"]] == [0] * 4
    assert [d for _, d, _ in out["r"]] == [0x13, ERR["INVALID"]]


def test_rready_low_holds_responses():
    """rready low: two responses are buffered, then AR is stalled; nothing is lost or
    reordered and rdata stays stable (checked every cycle) until rready."""
    regs = [K("ID"), PR(0, "CUR_PRIO"), K("CONFIG0"), PR(1, "WAIT_TIMEOUT"), K("ID")]
    out = simulate(ar=[(0, {"araddr": a}) for a in regs], rready=lambda c: c >= 20,
                   cycles=40)
    assert [d for _, d, _ in out["r"]] == [ID, 0xFF, 2 | 2 << 8 | 2 << 16 | 1 << 24,
                                          4096, ID]
    assert out["r"][0][0] == 20
    # two responses buffered, one more AR waiting in the buffer: the 4th AR waits
    assert out["ar"][:3] == [0, 1, 3] and out["ar"][3] > 20


def test_bready_low_holds_responses():
    """bready low: two write responses are held, then writes stall (the third write is
    not even made until a B is taken)."""
    aws, ws = [], []
    for i in range(4):
        a, d = wr(PR(0, "CUR_PRIO"), i + 1)
        aws.append((0, a))
        ws.append((0, d))
    out = simulate(aw=aws, w=ws, bready=lambda c: c >= 15,
                   ar=[(6, {"araddr": PR(0, "CUR_PRIO")})], cycles=40)
    assert [d for _, d, _ in out["r"]] == [2]          # the writes stopped at 2
    assert len(out["b"]) == 4 and out["b"][0][0] == 15


def test_waiting_read_and_write_alternate():
    """Reads and writes all waiting: the bridge alternates them."""
    aws, ws = [], []
    for i in range(3):
        a, d = wr(PR(0, "CUR_PRIO"), 0x20 + i)
        aws.append((0, a))
        ws.append((0, d))
    out = simulate(aw=aws, w=ws, ar=[(0, {"araddr": PR(0, "CUR_PRIO")})] * 3)
    # after reset the write goes first (as if the last access had been a read)
    events = sorted([(c, "b") for c, _ in out["b"]] + [(c, "r") for c, _, _ in out["r"]])
    assert [k for _, k in events] == ["b", "r"] * 3, events
    assert [c for c, _ in events] == [3, 5, 7, 9, 11, 13]
    # each read sees the write before it
    assert [d for _, d, _ in out["r"]] == [0x20, 0x21, 0x22]


def test_dequeue_wait_blocks_the_port():
    """DEQUEUE_WAIT with WAIT_TIMEOUT = 10 and no task: R comes after the timeout; a
    write to another window made meanwhile is answered only after it."""
    a, d = wr(PR(0, "WAIT_TIMEOUT"), 10)
    a2, d2 = wr(PR(1, "CUR_PRIO"), 7)
    out = simulate(aw=[(0, a), (6, a2)], w=[(0, d), (6, d2)],
                   ar=[(4, {"araddr": PR(0, "DEQUEUE_WAIT")}),
                       (30, {"araddr": PR(1, "CUR_PRIO")})], cycles=45)
    (rw, _, _), (r7, v7, _) = out["r"]
    assert rw - 4 >= 10 + 2
    assert out["b"][1][0] > rw
    assert v7 == 7


def test_bad_parameters():
    with pytest.raises(ValueError, match="vectors must be between 1 and 64"):
        ATSIntcAXI4Lite(vectors=65)
    with pytest.raises(ValueError, match="must be 32 or 64"):
        ATSIntcAXI4Lite(xlen=16)
    with pytest.raises(TypeError, match="either params or keyword arguments"):
        ATSIntcAXI4Lite(SMALL, vectors=2)
    with pytest.raises(TypeError, match="must be an atsintc.regmap.Params"):
        ATSIntcAXI4Lite({"vectors": 2})
    with pytest.raises(ValueError, match="data width must be 32 or 64"):
        Signature(addr_width=12, data_width=16)


# ------------------------------------------------------------------ Verilog export
@pytest.mark.parametrize("width", [32, 64])
def test_generate_axi4lite_verilog_lints(tmp_path, width):
    out = tmp_path / "atsintc_axil.v"
    assert main(["generate", "verilog", "--bus", "axi4lite", "--processes", "2",
                 "--vectors", "3", "--channels", "2", "--pool", "64",
                 "--data-width", str(width), "-o", str(out)]) == 0
    text = out.read_text()
    assert "--bus axi4lite" in text and "// Bus: AXI4-Lite slave (s_axil_*)" in text
    assert "module atsintc(" in text
    for port in ("awaddr", "awprot", "awvalid", "awready", "wdata", "wstrb", "wvalid",
                 "wready", "bresp", "bvalid", "bready", "araddr", "arprot", "arvalid",
                 "arready", "rdata", "rresp", "rvalid", "rready"):
        assert f" s_axil_{port}" in text, port
    assert "wb_cyc" not in text.split("module atsintc(")[1].split(");")[0]
    assert f"input [{width - 1}:0] s_axil_wdata" in text
    assert f"input [{width // 8 - 1}:0] s_axil_wstrb" in text
    r = subprocess.run([require("verilator"), "--lint-only", "-Wall", *LINT_WAIVERS, str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]


def test_generate_bus_option_errors():
    assert "// Bus: Wishbone B4 classic slave (wb_*)" in controller_verilog(SMALL)
    with pytest.raises(ValueError, match="bus must be one of wishbone, axi4lite"):
        controller_verilog(SMALL, bus="apb")
    with pytest.raises(SystemExit):
        main(["generate", "verilog", "--bus", "apb", "-o", "x.v"])
    with pytest.raises(SystemExit):
        main(["generate", "verilog", "--module", "pqueue", "--bus", "axi4lite", "-o", "x.v"])
