"""cocotb benchmark of the controller's latencies, measured at its ports.

Figures (all in clock cycles):
* access_cycles[REG]: from the cycle a Wishbone request is presented to the cycle its
  ack is seen (the data comes with the ack), per register kind;
* irq_to_head: from the cycle an interrupt line rises to the first cycle the woken
  task is at the head of the ready queue;
* send_to_head: from the cycle a SEND request is presented to the first cycle the
  receiver's handler task is at the head of its ready queue;
* irq_to_wait_ack: from the cycle the line rises to the cycle a DEQUEUE_WAIT that was
  already waiting is acknowledged with the task.
"At the head" is observed on irq_out[p] with IRQ_ENABLE.NONEMPTY set on an empty
queue: irq_out is a register, so it rises one cycle after the queue becomes non-empty;
the figures subtract that documented cycle.
"""

import json
import os

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from .tb_atsintc import K, PARAMS, PR, Env, task

OUT = os.environ["BENCH_JSON"]


async def wait_irq_out(e, p, start):
    d = e.dut
    while True:
        await RisingEdge(d.clk)
        await ReadOnly()
        if (int(d.irq_out.value) >> p) & 1:
            return e.bus.cycle - start - 1        # irq_out is registered: -1
        assert e.bus.cycle - start < 100


@cocotb.test()
async def bench(dut):
    e = Env(dut)
    await e.start()
    res = {"access_cycles": {}}
    P = PARAMS.processes
    p, q, v, c = 0, P - 1, 0, 0
    acc = res["access_cycles"]

    async def measure(name, offset, write, value=0):
        _, n = await e.bus.access(offset, write, value)
        acc[name] = max(acc.get(name, 0), n)

    await measure("ENQUEUE", PR(p, "ENQUEUE"), True, task(1, 3))
    await measure("DEQUEUE", PR(p, "DEQUEUE"), False)
    await measure("DEQUEUE (empty)", PR(p, "DEQUEUE"), False)
    await measure("VEC_CFG", K("VEC_CFG", v), True, p)
    await measure("BLOCK", PR(p, "BLOCK", v), True, task(2, 1))
    await measure("VEC_STATUS", K("VEC_STATUS", v), False)
    await measure("VEC_RAISE", K("VEC_RAISE", v), True)      # wakes the task blocked above
    await measure("CAP", K("CAP", q), True, (1 << P) - 1)
    await measure("HANDLER", PR(p, "HANDLER", c), True, task(3, 0))
    await measure("SEND", PR(q, "SEND", p * PARAMS.channels + c), True, 0x1234)
    await measure("RECV", PR(p, "RECV", c), False)
    await measure("READY_INFO", K("READY_INFO", p), False)
    await measure("ERROR", PR(p, "ERROR"), False)
    while (await e.bus.access(PR(p, "DEQUEUE"), False))[0]:
        pass

    # interrupt edge -> task at the head
    await e.bus.access(PR(p, "IRQ_ENABLE"), True, 1)
    await e.bus.access(PR(p, "BLOCK", v), True, task(4, 2))
    await e.bus.idle(2)
    dut.irq_in.value = 1
    start = e.bus.cycle
    res["irq_to_head"] = await wait_irq_out(e, p, start)
    await FallingEdge(dut.clk)
    dut.irq_in.value = 0
    await e.bus.access(PR(p, "DEQUEUE"), False)
    await e.bus.idle(3)

    # IPC send -> handler at the head of the receiver's queue
    await e.bus.access(PR(p, "HANDLER", c), True, task(5, 0))
    await e.bus.idle(3)
    d = dut
    start = e.bus.cycle                  # the request is presented in this cycle
    send = cocotb.start_soon(e.bus.access(PR(q, "SEND", p * PARAMS.channels + c), True,
                                          0x55))
    res["send_to_head"] = await wait_irq_out(e, p, start)
    await send
    await e.bus.idle(2)
    await e.bus.access(PR(p, "DEQUEUE"), False)
    await e.bus.access(PR(p, "RECV", c), False)

    # interrupt edge -> waiting DEQUEUE_WAIT acknowledged with the task
    await e.bus.access(PR(p, "BLOCK", v), True, task(6, 1))
    e.bus.request(PR(p, "DEQUEUE_WAIT"), False)
    await e.bus.idle(4)
    d.irq_in.value = 1
    start = e.bus.cycle
    data = await e.bus.wait_ack()
    res["irq_to_wait_ack"] = e.bus.cycle - start
    assert data == task(6, 1)
    await e.bus.finish()                 # completion edge
    d.irq_in.value = 0
    with open(OUT, "w") as f:
        json.dump(res, f, indent=2)
