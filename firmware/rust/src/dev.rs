//! The SoC's InterruptSource devices (the C runtime's RT_DEV, rt_dev_ack, rt_dev_stamp):
//! vector `v`'s registers at `SOC_IRQSRC_BASE + SOC_IRQSRC_BLOCK * v + reg`.

use crate::soc::{SOC_IRQSRC_ACK, SOC_IRQSRC_BASE, SOC_IRQSRC_BLOCK, SOC_IRQSRC_COUNT,
                 SOC_IRQSRC_ENABLE, SOC_IRQSRC_MISSED, SOC_IRQSRC_MODE,
                 SOC_IRQSRC_MODE_OFF, SOC_IRQSRC_MODE_ONESHOT, SOC_IRQSRC_PERIOD,
                 SOC_IRQSRC_STAMP_LO};

/// Write device `v`'s register `reg` (an `SOC_IRQSRC_*` offset).
#[inline(always)]
pub fn wr(v: usize, reg: usize, x: u32) {
    unsafe { core::ptr::write_volatile((SOC_IRQSRC_BASE + SOC_IRQSRC_BLOCK * v + reg) as *mut u32, x) }
}

/// Read device `v`'s register `reg`.
#[inline(always)]
pub fn rd(v: usize, reg: usize) -> u32 {
    unsafe { core::ptr::read_volatile((SOC_IRQSRC_BASE + SOC_IRQSRC_BLOCK * v + reg) as *const u32) }
}

/// Write a global register (`SOC_IRQSRC_ENABLE`, ...).
#[inline(always)]
pub fn global_wr(reg: usize, x: u32) {
    unsafe { core::ptr::write_volatile((SOC_IRQSRC_BASE + reg) as *mut u32, x) }
}

/// Read a global register (`SOC_IRQSRC_LINES`, ...).
#[inline(always)]
pub fn global_rd(reg: usize) -> u32 {
    unsafe { core::ptr::read_volatile((SOC_IRQSRC_BASE + reg) as *const u32) }
}

/// Acknowledge device `v`'s event (the next one in its FIFO raises the line again).
#[inline(always)]
pub fn ack(v: usize) {
    wr(v, SOC_IRQSRC_ACK, 1)
}

/// The SoC CYCLE time (low word) of device `v`'s current event.
#[inline(always)]
pub fn stamp(v: usize) -> u32 {
    rd(v, SOC_IRQSRC_STAMP_LO)
}

/// Make device `v` the only one running, as a one-shot that fires only when the
/// program re-arms it with a PERIOD write (its period set far out), its FIFO flushed and
/// COUNT / MISSED cleared.
pub fn oneshot(v: usize) {
    global_wr(SOC_IRQSRC_ENABLE, 0);
    wr(v, SOC_IRQSRC_MODE, SOC_IRQSRC_MODE_OFF as u32);
    wr(v, SOC_IRQSRC_PERIOD, 1_000_000);
    wr(v, SOC_IRQSRC_MODE, SOC_IRQSRC_MODE_ONESHOT as u32);
    wr(v, SOC_IRQSRC_COUNT, 0);
    wr(v, SOC_IRQSRC_MISSED, 0);
    global_wr(SOC_IRQSRC_ENABLE, 1 << v);
}

/// Turn device `v` off (its FIFO flushed) and stop every device.
pub fn stop(v: usize) {
    wr(v, SOC_IRQSRC_MODE, SOC_IRQSRC_MODE_OFF as u32);
    global_wr(SOC_IRQSRC_ENABLE, 0);
}
