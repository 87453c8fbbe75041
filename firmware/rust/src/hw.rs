//! hw backend: ATS-INTC schedules, wakes and delivers (the C runtime's -DBACKEND_HW).
//!
//! wake = one store of the task word to ENQUEUE of the task's process window; the
//! dispatcher = one load from DEQUEUE_WAIT (one process) or READY_SUMMARY + DEQUEUE
//! (several); a device wait = a store to BLOCK[v]; IPC = SEND / HANDLER / RECV; a sleep
//! = DEADLINE, DEADLINE_HI, SLEEP; a timed wait = DEADLINE, DEADLINE_HI, BLOCK_UNTIL[v]
//! or HANDLER_UNTIL[c] (bit 0 of the dequeued word: ended by the deadline; the word as
//! dequeued is the waker's data, so the dispatcher tests nothing for it); cancel =
//! CANCEL + TIMER_STATUS; the
//! preemption hint = irq_out[0] (IRQ_ENABLE.PREEMPT, CUR_PRIO) read from mip.MEIP.

use core::future::Future;
use core::task::{RawWaker, RawWakerVTable};

use crate::regs::{self, kernel, proc};
use crate::soc::{SOC_ATSINTC_BASE, SOC_CSR_MEIMASK, SOC_EXT_IRQ_ATSINTC};
use crate::task::{Header, TaskRef, FLAG_TIMEOUT};
use crate::{Global, Once};

const BASE: usize = SOC_ATSINTC_BASE;
const NWIN: usize = crate::soc::SOC_ATSINTC_PROCESSES;

/// The ATS-INTC window of process slot `p`.
#[inline(always)]
pub(crate) const fn window(p: usize) -> usize {
    regs::proc_base(BASE, p)
}

#[inline(always)]
fn wr(addr: usize, v: u32) {
    unsafe { regs::write(addr, v) }
}

#[inline(always)]
fn rd(addr: usize) -> u32 {
    unsafe { regs::read(addr) }
}

/// The window of the task of word `w`.
#[inline(always)]
fn win_of(w: u32) -> usize {
    unsafe { (*(regs::task_tcb(w) as *const Header)).win }
}

/// Make the task of word `w` ready: one store to ENQUEUE of its process's window.
#[inline(always)]
pub(crate) unsafe fn wake_word(w: u32) {
    wr(win_of(w) + proc::ENQUEUE, w);
}

// ---- wakers: data = the task word; one vtable per process, whose wake is one store ----

macro_rules! wakers {
    ($($p:literal => $wake:ident, $clone:ident;)*) => {
        $(
            /// The waker's wake (and wake_by_ref) for a task of this process: one
            /// volatile store of the task word to ENQUEUE.
            #[no_mangle]
            unsafe fn $wake(data: *const ()) {
                unsafe {
                    core::ptr::write_volatile((window($p) + proc::ENQUEUE) as *mut u32,
                                              data as usize as u32)
                }
            }

            /// (a clone's data is the task word without the dequeued bit 0)
            unsafe fn $clone(data: *const ()) -> RawWaker {
                RawWaker::new(clean_word(data as usize as u32) as usize as *const (),
                              &VTABLES[$p])
            }
        )*
        static VTABLES: [RawWakerVTable; NWIN] = [
            $(RawWakerVTable::new($clone, $wake, $wake, drop_waker),)*
        ];
    };
}

unsafe fn drop_waker(_: *const ()) {}

wakers! {
    0 => atsrt_hw_wake_p0, clone_p0;
    1 => atsrt_hw_wake_p1, clone_p1;
    2 => atsrt_hw_wake_p2, clone_p2;
    3 => atsrt_hw_wake_p3, clone_p3;
}

#[inline(always)]
pub(crate) fn vtable(p: u8) -> &'static RawWakerVTable {
    // NWIN is a power of two: no bounds check (spawn checked p)
    const _: () = assert!(NWIN.is_power_of_two());
    &VTABLES[p as usize & (NWIN - 1)]
}

// ---- waits -----------------------------------------------------------------------------

/// Wait for device vector `v`'s interrupt: the task word goes to BLOCK[v]; the controller
/// makes the task ready when the interrupt comes (at once if one is pending).
#[inline(always)]
pub fn wait_irq(v: usize) -> impl Future<Output = ()> {
    Once::new(move |w| wr(win_of(w) + proc::BLOCK(v), w))
}

#[inline(always)]
pub(crate) unsafe fn listen_word(w: u32, chan: usize) {
    wr(win_of(w) + proc::HANDLER(chan), w);
}

/// SEND through the window of the task of word `w`.
#[inline(always)]
pub(crate) unsafe fn send_word(w: u32, to: usize, chan: usize, msg: u32) {
    wr(win_of(w) + proc::SEND(to * crate::CHANNELS + chan), msg);
}

/// RECV[chan] through the window of the task of word `w`.
#[inline(always)]
pub(crate) unsafe fn try_recv_word(w: u32, chan: usize) -> u32 {
    rd(win_of(w) + proc::RECV(chan))
}

/// Sleep until `deadline` (the time of [`crate::now`]): DEADLINE, DEADLINE_HI, then the
/// task word to SLEEP; the controller makes the task ready at the deadline.
#[inline(always)]
pub fn sleep_until(deadline: u64) -> impl Future<Output = ()> {
    Once::new(move |w| {
        let win = win_of(w);
        set_deadline(win, deadline);
        wr(win + proc::SLEEP, w);
    })
}

#[inline(always)]
fn set_deadline(win: usize, deadline: u64) {
    wr(win + proc::DEADLINE, deadline as u32);
    wr(win + proc::DEADLINE_HI, (deadline >> 32) as u32);
}

/// Clear the task's timeout flag (stored only if set: a RAM store is a bus write).
#[inline(always)]
unsafe fn clear_flags(h: *mut Header) {
    unsafe {
        if (*h).flags != 0 {
            (*h).flags = 0;
        }
    }
}

/// A timed wait: DEADLINE, DEADLINE_HI, then the word to the window's register `reg`
/// (BLOCK_UNTIL[v] or HANDLER_UNTIL[chan]).
#[inline(always)]
unsafe fn timed_wait_word(w: u32, deadline: u64, reg: usize) {
    let h = regs::task_tcb(w) as *mut Header;
    unsafe {
        clear_flags(h);
        let win = (*h).win;
        set_deadline(win, deadline);
        wr(win + reg, w);
    }
}

/// A device wait until `deadline`: BLOCK_UNTIL[v] = the word.
#[inline(always)]
pub(crate) unsafe fn block_until_word(w: u32, v: usize, deadline: u64) {
    unsafe { timed_wait_word(w, deadline, proc::BLOCK_UNTIL(v)) }
}

/// A channel wait until `deadline`: HANDLER_UNTIL[chan] = the word.
#[inline(always)]
pub(crate) unsafe fn listen_until_word(w: u32, chan: usize, deadline: u64) {
    unsafe { timed_wait_word(w, deadline, proc::HANDLER_UNTIL(chan)) }
}

/// CANCEL the task of word `w` (its window), then TIMER_STATUS.CANCELLED: found or not.
#[inline(always)]
pub(crate) unsafe fn cancel_word(w: u32) -> bool {
    let win = win_of(w);
    wr(win + proc::CANCEL, w);
    rd(win + proc::TIMER_STATUS) & proc::TIMER_STATUS_CANCELLED_MASK != 0
}

// ---- preemption hint -----------------------------------------------------------------------

/// CSR 0xBC0 (VexRiscv's externalInterruptArray mask) = `bits`, keeping bit 31 (on
/// VexRiscv_FullCfu the CFU enable), as the C runtime's rt_set_meimask.
fn set_meimask(bits: u32) {
    unsafe {
        let v: u32;
        core::arch::asm!("csrr {0}, {csr}", out(reg) v, csr = const SOC_CSR_MEIMASK,
                         options(nostack));
        core::arch::asm!("csrw {csr}, {0}", in(reg) (v & 0x8000_0000) | bits,
                         csr = const SOC_CSR_MEIMASK, options(nostack));
    }
}

/// Preemption hint for cooperative yield points: after `preempt_init(prio)`, [`preempted`]
/// is true while a task of a better priority than `prio` is ready (process 0). The
/// controller's hint: irq_out[0] with IRQ_ENABLE.PREEMPT and CUR_PRIO = `prio`, the only
/// line enabled in MEIMASK; mstatus.MIE stays off, so it is never taken as a trap. CUR_PRIO
/// is not changed when tasks switch: the hint is for the tasks of priority `prio`
/// (background work that yields). As the C runtime's rt_preempt_init.
pub fn preempt_init(prio: u8) {
    wr(window(0) + proc::CUR_PRIO, prio as u32);
    wr(window(0) + proc::IRQ_ENABLE, proc::IRQ_ENABLE_PREEMPT_MASK);
    set_meimask(1 << SOC_EXT_IRQ_ATSINTC);
}

/// A task of a better priority than [`preempt_init`]'s is ready: mip.MEIP, one CSR read,
/// no bus access.
#[inline(always)]
pub fn preempted() -> bool {
    let mip: u32;
    unsafe { core::arch::asm!("csrr {0}, mip", out(reg) mip, options(nostack)) };
    mip & (1 << 11) != 0
}

// ---- dispatcher ------------------------------------------------------------------------

static MULTI: Global<bool> = Global::new(false);

/// n > 1: dispatch processes 0..n-1 (READY_SUMMARY, the lowest slot first).
pub fn use_processes(n: usize) {
    MULTI.set(n > 1);
}

/// Run ready tasks until none is ready and [`crate::STOP`] is set.
pub fn run() {
    if MULTI.get() {
        run_multi()
    } else {
        run_single()
    }
}

/// One process: DEQUEUE_WAIT returns the best task, waiting in the controller while none
/// is ready (up to WAIT_TIMEOUT cycles, then 0). The hot loop is assembly (as the C
/// runtime's), laid out so that a woken task costs no taken branch: load, mask, null
/// check, the poll function, call with (control block, word as dequeued): bit 0 (a
/// timed wait's deadline) needs no test here, the timed waits read it from the waker's
/// data. Returns from the assembly when DEQUEUE_WAIT gave 0.
#[inline(never)]
fn run_single() {
    let dq = window(0) + proc::DEQUEUE_WAIT;
    loop {
        // s2: callee-saved, so it survives the call (the poll functions keep it)
        unsafe {
            core::arch::asm!(
                "1: lw   a1, 0(s2)",
                "   andi a0, a1, -16",
                "   beqz a0, 2f",
                "   lw   t1, 0(a0)",
                "   jalr t1",
                "   j    1b",
                "2:",
                in("s2") dq,
                clobber_abi("C"),
            );
        }
        if crate::STOP.get() {
            return;
        }
    }
}

/// The waker's data for the task at `h`: the word as dequeued (`w`, bit 0 included).
#[inline(always)]
pub(crate) unsafe fn waker_data(_h: *const Header, w: u32) -> *const () {
    w as usize as *const ()
}

/// The task word of a waker's data: without the dequeued bit 0.
#[inline(always)]
pub(crate) fn clean_word(w: u32) -> u32 {
    w & !regs::TASK_FLAG
}

/// A timed wait's resume: the controller set bit 0 of the dequeued word `w` (the deadline
/// came first); noted in the task's flags for [`TaskRef::timed_out`] (stored only then).
#[inline(always)]
pub(crate) unsafe fn timed_out(w: u32) -> bool {
    if w & regs::TASK_FLAG != 0 {
        unsafe { (*(regs::task_tcb(w) as *mut Header)).flags |= FLAG_TIMEOUT };
        return true;
    }
    false
}

// ---- idle accounting ------------------------------------------------------------------------

/// Idle cycles counted by [`run_counting_idle`].
static IDLE: Global<u32> = Global::new(0);
/// Cycles of a DEQUEUE_WAIT that finds a task, with the rdcycles around it (u32::MAX:
/// not measured yet).
static DEQ_CYCLES: Global<u32> = Global::new(u32::MAX);

/// rdcycle once `w` has arrived (the load's result is an operand).
#[inline(always)]
fn cyc_after(w: u32) -> u32 {
    let b: u32;
    unsafe { core::arch::asm!("rdcycle {0} # {1}", out(reg) b, in(reg) w, options(nostack)) };
    b
}

/// Measure [`DEQ_CYCLES`]: the least of a few DEQUEUE_WAITs that find a probe task (the
/// first misses the I-cache), in the window of the process slot the runtime does not use
/// (slot PROCS), so that the tasks' ready queues are not touched.
#[inline(never)]
fn calibrate_idle() {
    const _: () = assert!(NWIN > crate::PROCS, "a free process window for the probe");
    let win = window(crate::PROCS);
    let probe = regs::task(regs::TCB_ALIGN, 0); // never run: taken here
    let mut best = u32::MAX;
    for _ in 0..4 {
        wr(win + proc::ENQUEUE, probe);
        let t0 = crate::cyc();
        let w = rd(win + proc::DEQUEUE_WAIT);
        let d = cyc_after(w).wrapping_sub(t0);
        if w == probe && d < best {
            best = d;
        }
    }
    DEQ_CYCLES.set(best);
}

/// [`run`], counting idle cycles ([`idle_cycles`]): the time a DEQUEUE_WAIT of the
/// dispatcher takes beyond one that finds a task at once (measured at the first call), as
/// the C runtime's dispatcher with -DRT_IDLE_ACCT. One process (several: [`run`]).
#[inline(never)]
pub fn run_counting_idle() {
    if MULTI.get() {
        return run_multi();
    }
    if DEQ_CYCLES.get() == u32::MAX {
        calibrate_idle();
    }
    let dq = window(0) + proc::DEQUEUE_WAIT;
    let deq = DEQ_CYCLES.get();
    loop {
        let t0 = crate::cyc();
        let w = rd(dq);
        let d = cyc_after(w).wrapping_sub(t0);
        if d > deq {
            IDLE.set(IDLE.get().wrapping_add(d - deq));
        }
        let h = regs::task_tcb(w) as *const Header;
        if h.is_null() {
            if crate::STOP.get() {
                return;
            }
            continue;
        }
        unsafe { ((*h).poll)(h, w) }
    }
}

/// Idle cycles counted so far by [`run_counting_idle`] (wrapping).
#[inline(always)]
pub fn idle_cycles() -> u32 {
    IDLE.get()
}

/// Several processes: the kernel's READY_SUMMARY says which has work; the lowest slot
/// (the kernel first) runs. The lowest set bit b (1, 2, 4 for processes 0..2) gives the
/// window's number p + 1 = b - (b >> 2). The task's control block and its word as
/// dequeued (null, 0: none).
#[inline(always)]
fn next_multi() -> (*const Header, u32) {
    const _: () = assert!(crate::PROCS == 3 && regs::WINDOW_SIZE == 0x1000);
    let s = rd(BASE + kernel::READY_SUMMARY);
    if s == 0 {
        return (core::ptr::null(), 0);
    }
    let b = s & s.wrapping_neg();
    let w = rd(BASE + (((b - (b >> 2)) as usize) << 12) + proc::DEQUEUE);
    (regs::task_tcb(w) as *const Header, w)
}

/// The next task to run after a suspension (null: none ready, return to the dispatcher)
/// and its word as dequeued (for its poll function).
#[inline(always)]
pub(crate) fn next() -> (*const Header, u32) {
    if MULTI.get() {
        return next_multi();
    }
    let w = rd(window(0) + proc::DEQUEUE);
    (regs::task_tcb(w) as *const Header, w)
}

#[inline(never)]
fn run_multi() {
    loop {
        let (h, w) = next_multi();
        if h.is_null() {
            if crate::STOP.get() {
                return;
            }
            continue;
        }
        unsafe { ((*h).poll)(h, w) }
    }
}

/// Sticky error bits of the controller (kernel window and the processes' windows).
pub fn errors() -> u32 {
    let mut e = rd(BASE + kernel::ERROR);
    for p in 0..crate::PROCS {
        e |= rd(window(p) + proc::ERROR);
    }
    e
}

/// Calibrate the cycle offset; vectors owned by process 0 in edge mode; every process
/// may send to every process; errors cleared.
pub fn init() {
    crate::calibrate();
    crate::STOP.set(false);
    for v in 0..crate::VECTORS {
        wr(BASE + kernel::VEC_CFG(v), 0);
    }
    for p in 0..crate::PROCS {
        wr(BASE + kernel::CAP(p), (1 << crate::PROCS) - 1);
        wr(window(p) + proc::ERROR, !0);
    }
    wr(BASE + kernel::ERROR, !0);
}

/// Raw queue operations on process 0's ready queue (benchmark 1).
pub mod raw {
    use super::*;

    #[inline(always)]
    pub fn push(t: TaskRef) {
        wr(window(0) + proc::ENQUEUE, t.word());
    }

    #[inline(always)]
    pub fn pop() -> Option<TaskRef> {
        TaskRef::from_word(rd(window(0) + proc::DEQUEUE))
    }
}
