"""cocotb/Verilator tests of the ATS-INTC controller (sim/tb_atsintc.py) on several
configurations, plus parameter validation."""

import json
from dataclasses import asdict

import pytest

from atsintc.tools import cosim
from atsintc.gateware.controller import ATSIntc
from atsintc.tools.export import controller_verilog
from atsintc.regmap import Params

# (id, parameters, random bus accesses): both queue backends; the pool's sizes are small
# enough that the random tests use it up; small deadline queues (the random tests fill
# them too) except in the default configuration, to keep the Verilator builds short;
# minimal-systolic has none (timers = 0: the random test's timer operations are refused)
CONFIGS = [
    ("small", Params(processes=3, vectors=4, channels=2, ipc_depth=2, pool=8, timers=6),
     50_000),
    ("rv64", Params(processes=2, priorities=4, vectors=8, channels=3, ipc_depth=3, xlen=64,
                    pool=12, timers=5), 50_000),
    ("minimal", Params(processes=1, priorities=1, vectors=1, channels=1, ipc_depth=1,
                       pool=2, timers=1), 20_000),
    ("default", Params(), 10_000),
    ("small-systolic", Params(processes=3, ready_depth=6, vectors=4, blocked_depth=3,
                              channels=2, ipc_depth=2, queue="systolic", timers=6), 50_000),
    ("rv64-systolic", Params(processes=2, priorities=4, ready_depth=8, vectors=8,
                             blocked_depth=4, channels=3, ipc_depth=3, xlen=64,
                             queue="systolic", timers=5), 50_000),
    ("minimal-systolic", Params(processes=1, priorities=1, ready_depth=1, vectors=1,
                                blocked_depth=1, channels=1, ipc_depth=1, queue="systolic",
                                timers=0), 20_000),     # no timers: all refused
]


def run_tb(params, ops, name, testcase=None):
    return cosim.run(lambda: {"atsintc.v": controller_verilog(params)}, "atsintc",
                     "tb_atsintc", name=name, key=repr(params), testcase=testcase,
                     env=dict(ATSINTC_PARAMS=json.dumps(asdict(params)), ATSINTC_OPS=ops))


@pytest.mark.parametrize("name,params,ops", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_controller(name, params, ops):
    # every test of the testbench ran (a test that cannot run on a configuration is
    # reported as skipped in its log); the build is shared with the benchmark
    assert run_tb(params, ops, "atsintc") == len(cosim.cocotb_tests("tb_atsintc"))


# several bus ports (sim/tb_ports.py: all ports at once against the model)
PORT_CONFIGS = [
    ("2ports", Params(processes=3, vectors=4, channels=2, ipc_depth=2, pool=16, ports=2,
                      timers=4), 4_000),
    ("3ports-systolic", Params(processes=2, priorities=4, ready_depth=6, vectors=2,
                               blocked_depth=2, channels=2, ipc_depth=2, queue="systolic",
                               ports=3, timers=4), 3_000),
]


@pytest.mark.parametrize("name,params,ops", PORT_CONFIGS, ids=[c[0] for c in PORT_CONFIGS])
def test_controller_ports(name, params, ops):
    n = cosim.run(lambda: {"atsintc.v": controller_verilog(params)}, "atsintc", "tb_ports",
                  name="atsintc", key=repr(params),
                  env=dict(ATSINTC_PARAMS=json.dumps(asdict(params)), ATSINTC_OPS=ops))
    assert n == len(cosim.cocotb_tests("tb_ports"))


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(processes=0), ValueError, "processes must be between 1 and 16"),
    (dict(priorities=9), ValueError, "priorities must be between 1 and 8"),
    (dict(ready_depth=0), ValueError, "ready_depth must be between 1 and 1024"),
    (dict(vectors=65), ValueError, "vectors must be between 1 and 64"),
    (dict(blocked_depth=256), ValueError, "blocked_depth must be between 1 and 255"),
    (dict(channels=17), ValueError, "channels must be between 1 and 16"),
    (dict(ipc_depth=0), ValueError, "ipc_depth must be between 1 and 255"),
    (dict(xlen=48), ValueError, "must be 32 or 64"),
    (dict(pool=1), ValueError, "pool must be between 2 and 16384"),
    (dict(queue="fifo"), ValueError, "queue must be one of pool, systolic"),
    (dict(vectors="16"), TypeError, "vectors must be an integer"),
    (dict(ports=9), ValueError, "ports must be between 1 and 8"),
])
def test_bad_parameters(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        ATSIntc(**kwargs)
