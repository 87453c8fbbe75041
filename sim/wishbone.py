"""The Wishbone B4 classic (non-pipelined) master shared by the cocotb testbenches.

Signals: ``{prefix}cyc, stb, we, adr, dat_w, sel`` (driven) and ``{prefix}ack, dat_r``
(sampled); ``adr`` is a word address, the methods take byte offsets (one ``sel`` bit per
byte lane, the word's size is the width of ``sel``). The master drives only at falling
edges of ``clk`` (or right after a rising edge, see ``access``) and samples the slave
at rising edges, in ``ReadOnly`` (``ack`` may be gated combinationally by ``cyc & stb``).

Two ways to run an access, both starting at a falling edge (the request is presented
there, in cycle ``t``: the cycle after the next rising edge is ``t + 1``):

* ``access``, a synchronous master: it samples ``ack`` after each rising edge; at the
  first edge it sees ack high after (the ack cycle) it keeps cyc/stb up to the next
  rising edge (the completion edge), drops them right after it and returns at the
  next falling edge, so that calls one after the other make back-to-back accesses.
  It returns (data, cycles): ``cycles`` counts the rising edges from the request to
  the completion edge (2 for a slave with a registered ack in ``t + 1``). It can
  withdraw the access (``abandon``) and is also available in parts (``request``,
  ``wait_ack``, ``finish``) for requests that stay up while the test does something
  else.
* ``access_lockstep``, for testbenches that run a cycle-level model in lock step with
  the design: the clock is advanced by the testbench's own ``step`` (falling edge to
  falling edge, ticking the model with ``out``, the values the master drives); ``ack``
  and ``dat_r`` are read after each step (the values of the cycle after the rising
  edge); in the ack cycle the master drops the request at that falling edge and
  returns there, so the next access may be presented right away in the ack cycle
  (which the slave ignores: it answers a cycle later) or after a further step.

While no access runs the master drives cyc = stb = we = 0 and sel = all lanes
(``adr``, ``dat_w`` keep their last values).
"""

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge


class WishboneMaster:
    """Wishbone B4 classic master on ``dut``'s signals ``{prefix}cyc`` etc.

    ``timeout``: an access that has waited this many cycles for its ack fails with
    "bus hung". ``cycle`` counts rising edges once ``start`` ran (``start`` also runs
    ``monitor``, the slave-side check of the ack rule, in every cycle).
    """

    def __init__(self, dut, prefix, clk=None, *, timeout=1 << 20):
        self.dut = dut
        self.clk = dut.clk if clk is None else clk
        self.timeout = timeout
        self.sig = {n: getattr(dut, prefix + n)
                    for n in ("cyc", "stb", "we", "adr", "dat_w", "dat_r", "sel", "ack")}
        self.lanes = len(self.sig["sel"])
        self.all_lanes = (1 << self.lanes) - 1
        self.cycle = 0
        # the values driven now (``byte``: the byte offset driven as adr)
        self.out = dict(cyc=0, stb=0, we=0, byte=0, dat_w=0, sel=self.all_lanes)

    # ----------------------------------------------------------------- signal level
    def _drive(self, **values):
        self.out.update(values)
        s, o = self.sig, self.out
        s["cyc"].value = o["cyc"]
        s["stb"].value = o["stb"]
        s["we"].value = o["we"]
        s["adr"].value = o["byte"] // self.lanes
        s["dat_w"].value = o["dat_w"]
        s["sel"].value = o["sel"]

    def reset_outputs(self):
        """Drive every master output to its initial value (idle, address and data 0)."""
        self._drive(cyc=0, stb=0, we=0, byte=0, dat_w=0, sel=self.all_lanes)

    def request(self, offset, write, value=0, sel=None):
        """Present a request now (cyc, stb, we, adr, dat_w, sel); ``sel`` None: all
        lanes."""
        assert offset % self.lanes == 0, offset
        self._drive(cyc=1, stb=1, we=int(write), byte=offset, dat_w=value,
                    sel=self.all_lanes if sel is None else sel)

    def release(self):
        """Drop the request now: cyc = stb = we = 0, sel = all lanes."""
        self._drive(cyc=0, stb=0, we=0, sel=self.all_lanes)

    def sample(self):
        """(ack, dat_r) as ints; dat_r is read only with ack high (else None)."""
        ack = int(self.sig["ack"].value)
        return ack, (int(self.sig["dat_r"].value) if ack else None)

    # ------------------------------------------------------------ synchronous master
    async def access(self, offset, write, value=0, sel=None, abandon=None):
        """One access from a falling edge; returns (data, cycles the access took).

        The request is held up to the rising edge after the one after which ack is
        seen (the completion edge), dropped right after that edge; the call returns at
        the next falling edge (back-to-back calls: 2 cycles each with an ack in the
        cycle after the request). ``sel``: byte lanes (default all). ``abandon=k``:
        withdraw the request in the k-th cycle (at its falling edge, after the k-th
        rising edge), even if ack is high in it: the master never takes that ack and
        returns (None, k) at the following falling edge. For a write, data is the
        slave's dat_r with the ack."""
        self.request(offset, write, value, sel)
        n = 0
        while True:
            await RisingEdge(self.clk)
            n += 1
            await ReadOnly()
            if abandon is not None and n == abandon:
                await FallingEdge(self.clk)
                self.release()
                await FallingEdge(self.clk)
                return None, n
            ack, data = self.sample()
            if ack:
                break
            assert n < self.timeout, "bus hung"
        await self.finish()
        return data, n + 1

    async def wait_ack(self):
        """With a request up: wait for the first rising edge after which ack is high;
        returns dat_r then (in ReadOnly after that edge, ``cycle`` counts it)."""
        n = 0
        while True:
            await RisingEdge(self.clk)
            n += 1
            await ReadOnly()
            ack, data = self.sample()
            if ack:
                return data
            assert n < self.timeout, "bus hung"

    async def finish(self):
        """After ``wait_ack``: the completion edge, the request dropped right after it;
        returns at the next falling edge."""
        await RisingEdge(self.clk)
        self.release()
        await FallingEdge(self.clk)

    async def idle(self, n=1):
        """Wait ``n`` falling edges."""
        for _ in range(n):
            await FallingEdge(self.clk)

    # ----------------------------------------------------------- lock-step master
    async def access_lockstep(self, step, offset, write, value=0, sel=None):
        """One access from a falling edge with the clock advanced by ``await step()``
        (falling edge to falling edge); returns (data, cycles) counted as ``access``
        does (rising edges to the ack, plus one). The request is dropped at the falling
        edge in the ack cycle and the call returns there."""
        self.request(offset, write, value, sel)
        n = 0
        while True:
            await step()
            n += 1
            ack, data = self.sample()
            if ack:
                break
            assert n < self.timeout, "bus hung"
        self.release()
        return data, n + 1

    # ---------------------------------------------------------------- bookkeeping
    def start(self, monitor=True):
        """Start counting cycles (rising edges) in ``cycle`` and, if ``monitor``, the
        ack-rule monitor."""
        cocotb.start_soon(self._count())
        if monitor:
            cocotb.start_soon(self.monitor())

    async def _count(self):
        while True:
            await RisingEdge(self.clk)
            self.cycle += 1

    async def monitor(self):
        """Wishbone: ack only in answer to cyc & stb, checked in every cycle."""
        s = self.sig
        while True:
            await RisingEdge(self.clk)
            await ReadOnly()
            if int(s["ack"].value):
                assert int(s["cyc"].value) and int(s["stb"].value), \
                    f"ack without cyc & stb in cycle {self.cycle}"
