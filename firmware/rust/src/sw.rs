//! sw backend: PLIC + software scheduler (the C runtime's -DBACKEND_SW).
//!
//! wake = push onto an O(1) ready queue (priority bitmap + FIFO list per priority,
//! interrupts off around it); a PLIC claim/complete trap handler wakes the task blocked on
//! the source (the gateway is completed when the task waits again, after it acknowledged
//! the device); IPC through software mailboxes (4 words per process and channel); timers
//! (sleeps, timed waits, cancel) through a list sorted by deadline and the machine timer
//! (mtimecmp), as the C runtime's `rt.c`; the preemption hint is the ready bitmap.

use core::future::Future;
use core::ptr::null;
use core::task::{RawWaker, RawWakerVTable};

use crate::regs;
use crate::soc::*;
use crate::task::{Header, TaskRef, FLAG_TIMED_IRQ, FLAG_TIMED_MSG, FLAG_TIMEOUT};
use crate::{Global, Once, Volatile, CHANNELS, PRIOS, PROCS, VECTORS};

type H = *const Header;
type HM = *mut Header;

#[inline(always)]
fn mmio_wr(addr: usize, v: u32) {
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

#[inline(always)]
fn mmio_rd(addr: usize) -> u32 {
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

#[inline(always)]
fn irq_off() {
    unsafe { core::arch::asm!("csrci mstatus, 8", options(nostack)) }
}

#[inline(always)]
fn irq_on() {
    unsafe { core::arch::asm!("csrsi mstatus, 8", options(nostack)) }
}

#[inline(always)]
pub(crate) const fn window(_p: usize) -> usize {
    0
}

// ---- ready queue -----------------------------------------------------------------------

static BITMAP: Volatile<u32> = Volatile::new(0);
static HEAD: Global<[H; PRIOS]> = Global::new([null(); PRIOS]);
static TAIL: Global<[H; PRIOS]> = Global::new([null(); PRIOS]);
static LOWBIT: Global<[u8; 256]> = Global::new([0; 256]);
/// Idle cycles counted by the dispatcher (WFI).
static IDLE: Global<u32> = Global::new(0);

#[inline(always)]
unsafe fn push_locked(t: H) {
    unsafe {
        let p = (*t).prio as usize;
        let head = &mut *HEAD.as_ptr();
        let tail = &mut *TAIL.as_ptr();
        (*(t as HM)).next = null();
        if !tail[p].is_null() {
            (*(tail[p] as HM)).next = t;
        } else {
            head[p] = t;
        }
        tail[p] = t;
        BITMAP.set(BITMAP.get() | 1 << p);
    }
}

#[inline(always)]
unsafe fn pop_locked() -> H {
    unsafe {
        let b = BITMAP.get();
        if b == 0 {
            return null();
        }
        let p = (*LOWBIT.as_ptr())[(b & 0xFF) as usize] as usize;
        let head = &mut *HEAD.as_ptr();
        let t = head[p];
        let n = (*t).next;
        head[p] = n;
        if n.is_null() {
            (*TAIL.as_ptr())[p] = null();
            BITMAP.set(b & !(1 << p));
        }
        t
    }
}

#[inline(always)]
unsafe fn push(t: H) {
    irq_off();
    unsafe { push_locked(t) };
    irq_on();
}

/// The next task to run after a suspension (null: none ready), and the word for its
/// poll function (unused: [`waker_data`] takes the control block's).
#[inline(always)]
pub(crate) fn next() -> (H, u32) {
    irq_off();
    let t = unsafe { pop_locked() };
    irq_on();
    (t, 0)
}

/// The waker's data for the task at `h`: its word.
#[inline(always)]
pub(crate) unsafe fn waker_data(h: *const Header, _w: u32) -> *const () {
    unsafe { (*h).word as usize as *const () }
}

/// The task word of a waker's data (sw: always without bit 0).
#[inline(always)]
pub(crate) fn clean_word(w: u32) -> u32 {
    w
}

/// The last timed wait of the task of word `w` ended by its deadline (the timer set the
/// flag; an event or message, or a cancel, cleared it).
#[inline(always)]
pub(crate) unsafe fn timed_out(w: u32) -> bool {
    unsafe { (*(regs::task_tcb(w) as H)).flags & FLAG_TIMEOUT != 0 }
}

/// Make the task of word `w` ready: push it onto the software ready queue.
#[inline(always)]
pub(crate) unsafe fn wake_word(w: u32) {
    unsafe { push(regs::task_tcb(w) as H) }
}

// ---- waker: data = the task word ---------------------------------------------------------

#[no_mangle]
unsafe fn atsrt_sw_wake(data: *const ()) {
    unsafe { wake_word(data as usize as u32) }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    RawWaker::new(data, &VTABLE)
}

unsafe fn drop_waker(_: *const ()) {}

static VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, atsrt_sw_wake, atsrt_sw_wake, drop_waker);

#[inline(always)]
pub(crate) fn vtable(_p: u8) -> &'static RawWakerVTable {
    &VTABLE
}

// ---- devices: PLIC ------------------------------------------------------------------------

static BLOCKED: Global<[H; VECTORS]> = Global::new([null(); VECTORS]);
static PENDING: Global<[u8; VECTORS]> = Global::new([0; VECTORS]); // claimed, nobody waiting
static OWED: Global<[u8; VECTORS]> = Global::new([0; VECTORS]); // claimed, not completed

#[inline(always)]
fn plic(reg: usize) -> usize {
    SOC_PLIC_BASE + reg
}

/// Wait for vector v (interrupts off): complete the last event the task served; an event
/// pending -> ready now (false); else wait in BLOCKED[v] (true).
#[inline(always)]
unsafe fn block_locked(t: H, v: usize) -> bool {
    unsafe {
        let owed = &mut *OWED.as_ptr();
        let pending = &mut *PENDING.as_ptr();
        if owed[v] != 0 {
            owed[v] = 0;
            mmio_wr(plic(SOC_PLIC_CLAIM(0)), v as u32 + 1); // complete: re-open the gateway
        }
        if pending[v] != 0 {
            pending[v] -= 1;
            owed[v] = 1;
            push_locked(t);
            return false;
        }
        (*BLOCKED.as_ptr())[v] = t;
        true
    }
}

/// Wait for device vector `v`'s interrupt (the trap handler wakes the task).
#[inline(always)]
pub fn wait_irq(v: usize) -> impl Future<Output = ()> {
    Once::new(move |w| {
        irq_off();
        unsafe { block_locked(regs::task_tcb(w) as H, v) };
        irq_on();
    })
}

/// Called from the trap entry: machine timer -> the due sleepers; PLIC -> claim the
/// source and wake the task waiting for it (or count the event as pending).
#[no_mangle]
extern "C" fn atsrt_isr() {
    let cause: u32;
    unsafe { core::arch::asm!("csrr {0}, mcause", out(reg) cause, options(nostack)) };
    if cause == 0x8000_0007 {
        timer_expire();
        return;
    }
    if cause != 0x8000_000B {
        crate::console::exit(0x100 | (cause & 0xFF));
    }
    let id = mmio_rd(plic(SOC_PLIC_CLAIM(0))) as usize;
    if id == 0 || id > VECTORS {
        return;
    }
    let v = id - 1;
    unsafe {
        let blocked = &mut *BLOCKED.as_ptr();
        let t = blocked[v];
        if !t.is_null() {
            blocked[v] = null();
            (*OWED.as_ptr())[v] = 1;
            event_wake_locked(t);
        } else {
            (*PENDING.as_ptr())[v] += 1;
        }
    }
}

core::arch::global_asm!(
    ".section .text.atsrt_trap_entry,\"ax\",@progbits",
    ".globl atsrt_trap_entry",
    ".type atsrt_trap_entry, @function",
    ".p2align 4",
    "atsrt_trap_entry:",
    "    addi sp, sp, -64",
    "    sw ra, 0(sp)",
    "    sw t0, 4(sp)",
    "    sw t1, 8(sp)",
    "    sw t2, 12(sp)",
    "    sw a0, 16(sp)",
    "    sw a1, 20(sp)",
    "    sw a2, 24(sp)",
    "    sw a3, 28(sp)",
    "    sw a4, 32(sp)",
    "    sw a5, 36(sp)",
    "    sw a6, 40(sp)",
    "    sw a7, 44(sp)",
    "    sw t3, 48(sp)",
    "    sw t4, 52(sp)",
    "    sw t5, 56(sp)",
    "    sw t6, 60(sp)",
    "    call atsrt_isr",
    "    lw ra, 0(sp)",
    "    lw t0, 4(sp)",
    "    lw t1, 8(sp)",
    "    lw t2, 12(sp)",
    "    lw a0, 16(sp)",
    "    lw a1, 20(sp)",
    "    lw a2, 24(sp)",
    "    lw a3, 28(sp)",
    "    lw a4, 32(sp)",
    "    lw a5, 36(sp)",
    "    lw a6, 40(sp)",
    "    lw a7, 44(sp)",
    "    lw t3, 48(sp)",
    "    lw t4, 52(sp)",
    "    lw t5, 56(sp)",
    "    lw t6, 60(sp)",
    "    addi sp, sp, 64",
    "    mret",
    ".size atsrt_trap_entry, . - atsrt_trap_entry",
);

extern "C" {
    fn atsrt_trap_entry();
}

// ---- IPC: software mailboxes ----------------------------------------------------------------

const MBOX: usize = 4;
static MAIL: Global<[[[u32; MBOX]; CHANNELS]; PROCS]> = Global::new([[[0; MBOX]; CHANNELS]; PROCS]);
static MB_HEAD: Global<[[u8; CHANNELS]; PROCS]> = Global::new([[0; CHANNELS]; PROCS]);
static MB_COUNT: Global<[[u8; CHANNELS]; PROCS]> = Global::new([[0; CHANNELS]; PROCS]);
static HANDLER: Global<[[H; CHANNELS]; PROCS]> = Global::new([[null(); CHANNELS]; PROCS]);
static ERRORS: Global<u32> = Global::new(0);

/// Send `msg` to process `to`'s channel `chan`: into its mailbox, and its waiting
/// handler (if any) made ready.
#[inline(always)]
pub(crate) unsafe fn send_word(_w: u32, to: usize, chan: usize, msg: u32) {
    send_now(to, chan, msg)
}

#[inline(never)]
fn send_now(to: usize, chan: usize, msg: u32) {
    unsafe {
        let count = &mut (*MB_COUNT.as_ptr())[to][chan];
        let n = *count as usize;
        if n == MBOX {
            ERRORS.set(ERRORS.get() | regs::err::IPC_FULL);
            return;
        }
        let head = (*MB_HEAD.as_ptr())[to][chan] as usize;
        (*MAIL.as_ptr())[to][chan][(head + n) % MBOX] = msg;
        *count = (n + 1) as u8;
        // the slot is read with interrupts off: the timer interrupt takes a timed
        // waiter out of it (timeout), and that waiter must not be pushed a second time
        irq_off();
        let slot = &mut (*HANDLER.as_ptr())[to][chan];
        let h = *slot;
        if !h.is_null() {
            *slot = null();
            if (*h).flags & (FLAG_TIMED_IRQ | FLAG_TIMED_MSG) != 0 {
                return timed_event_wake_irq_on(h); // (a tail call: no stack frame here)
            }
            push_locked(h);
        }
        irq_on();
    }
}

#[inline(always)]
pub(crate) unsafe fn listen_word(w: u32, chan: usize) {
    unsafe { listen_now(regs::task_tcb(w) as H, chan) }
}

#[inline(never)]
unsafe fn listen_now(t: H, chan: usize) {
    unsafe {
        let p = (*t).proc_ as usize;
        if (*MB_COUNT.as_ptr())[p][chan] != 0 {
            push(t);
        } else if !(*HANDLER.as_ptr())[p][chan].is_null() {
            ERRORS.set(ERRORS.get() | regs::err::HANDLER_BUSY);
        } else {
            (*HANDLER.as_ptr())[p][chan] = t;
        }
    }
}

/// Take the oldest message of the channel `chan` of the process of the task of word `w`,
/// 0 if none.
#[inline(always)]
pub(crate) unsafe fn try_recv_word(w: u32, chan: usize) -> u32 {
    unsafe { recv_now(regs::task_tcb(w) as H, chan) }
}

#[inline(never)]
unsafe fn recv_now(t: H, chan: usize) -> u32 {
    unsafe {
        let p = (*t).proc_ as usize;
        let count = &mut (*MB_COUNT.as_ptr())[p][chan];
        if *count == 0 {
            return 0;
        }
        let head = &mut (*MB_HEAD.as_ptr())[p][chan];
        let m = (*MAIL.as_ptr())[p][chan][*head as usize];
        *head = ((*head as usize + 1) % MBOX) as u8;
        *count -= 1;
        m
    }
}

pub fn use_processes(_n: usize) {}

/// Sticky errors of the software IPC (the controller's bit names).
pub fn errors() -> u32 {
    ERRORS.get()
}

// ---- timers: a list sorted by deadline, mtimecmp = the head's --------------------------------

static TIMERS: Global<H> = Global::new(null());

#[inline(always)]
unsafe fn deadline_of(t: H) -> u64 {
    unsafe { ((*t).dl_hi as u64) << 32 | (*t).dl_lo as u64 }
}

fn program_timer() {
    let t = TIMERS.get();
    let d = if t.is_null() { !0u64 } else { unsafe { deadline_of(t) } };
    mmio_wr(SOC_SYSCTL_BASE + SOC_SYSCTL_MTIMECMP_LO, !0);
    mmio_wr(SOC_SYSCTL_BASE + SOC_SYSCTL_MTIMECMP_HI, (d >> 32) as u32);
    mmio_wr(SOC_SYSCTL_BASE + SOC_SYSCTL_MTIMECMP_LO, d as u32);
}

#[inline(always)]
fn reached(deadline: u64) -> bool {
    (deadline.wrapping_sub(crate::now()) as i64) <= 0
}

/// The due tasks (interrupts off): to the ready queue; a timed waiter stops waiting for
/// its event (and is marked timed out). Out of line: the device interrupt's path (the
/// trap handler) stays short.
#[inline(never)]
fn timer_expire() {
    let mut t = TIMERS.get();
    if t.is_null() {
        return;
    }
    let now = crate::now();
    unsafe {
        if (deadline_of(t).wrapping_sub(now) as i64) > 0 {
            return;
        }
        loop {
            let n = (*t).next;
            if (*t).flags & (FLAG_TIMED_IRQ | FLAG_TIMED_MSG) != 0 {
                timeout_wait_locked(t);
            }
            push_locked(t);
            t = n;
            if t.is_null() || (deadline_of(t).wrapping_sub(now) as i64) > 0 {
                break;
            }
        }
    }
    TIMERS.set(t);
    program_timer();
}

unsafe fn timer_insert_locked(t: H, deadline: u64) {
    unsafe {
        (*(t as HM)).dl_lo = deadline as u32;
        (*(t as HM)).dl_hi = (deadline >> 32) as u32;
        let mut pp: *mut H = TIMERS.as_ptr();
        while !(*pp).is_null() && (deadline_of(*pp).wrapping_sub(deadline) as i64) <= 0 {
            pp = &mut (*(*pp as HM)).next;
        }
        (*(t as HM)).next = *pp;
        *pp = t;
        if pp == TIMERS.as_ptr() {
            program_timer();
        }
    }
}

/// Remove `t` from the timer list (interrupts off); false if it is not there.
unsafe fn timer_unlink_locked(t: H) -> bool {
    unsafe {
        let mut pp: *mut H = TIMERS.as_ptr();
        while !(*pp).is_null() {
            if *pp == t {
                *pp = (*t).next;
                if pp == TIMERS.as_ptr() {
                    program_timer();
                }
                return true;
            }
            pp = &mut (*(*pp as HM)).next;
        }
        false
    }
}

/// The event or message a task waits for has come (interrupts off): make it ready; a
/// timed waiter also leaves the timer list (out of line: the plain waits' path is one
/// flag test, and no call).
#[inline(always)]
unsafe fn event_wake_locked(t: H) {
    unsafe {
        if (*t).flags & (FLAG_TIMED_IRQ | FLAG_TIMED_MSG) != 0 {
            timed_event_wake(t);
        } else {
            push_locked(t);
        }
    }
}

#[inline(never)]
#[cold]
unsafe fn timed_event_wake(t: H) {
    unsafe {
        timer_unlink_locked(t);
        (*(t as HM)).flags = 0;
        push_locked(t);
    }
}

/// [`timed_event_wake`], then interrupts on.
#[inline(never)]
#[cold]
unsafe fn timed_event_wake_irq_on(t: H) {
    unsafe { timed_event_wake(t) };
    irq_on();
}

/// A timed waiter's deadline came first (interrupts off): it leaves the device's blocked
/// slot or the channel's handler slot, marked timed out.
unsafe fn timeout_wait_locked(t: H) {
    unsafe {
        let f = (*t).flags;
        let i = (f >> 3) as usize;
        if f & FLAG_TIMED_IRQ != 0 {
            (*BLOCKED.as_ptr())[i] = null();
        } else {
            (*HANDLER.as_ptr())[(*t).proc_ as usize][i] = null();
        }
        (*(t as HM)).flags = FLAG_TIMEOUT;
    }
}

/// A device wait until `deadline` (rt.c's rt_block_timeout): an event pending -> ready now
/// (the event); else a deadline reached -> ready now, timed out; else the blocked slot and
/// the timer list, whichever comes first wakes it.
#[inline(never)]
pub(crate) unsafe fn block_until_word(w: u32, v: usize, deadline: u64) {
    let t = regs::task_tcb(w) as H;
    irq_off();
    unsafe {
        (*(t as HM)).flags = 0;
        if (*PENDING.as_ptr())[v] != 0 || !reached(deadline) {
            if block_locked(t, v) {
                (*(t as HM)).flags = FLAG_TIMED_IRQ | (v as u8) << 3;
                timer_insert_locked(t, deadline);
            }
        } else {
            (*(t as HM)).flags = FLAG_TIMEOUT;
            push_locked(t);
        }
    }
    irq_on();
}

/// A channel wait until `deadline` (rt.c's rt_recv_timeout): a message waiting -> ready
/// now; a deadline reached -> ready now, timed out; else the handler slot and the timer
/// list.
#[inline(never)]
pub(crate) unsafe fn listen_until_word(w: u32, chan: usize, deadline: u64) {
    let t = regs::task_tcb(w) as H;
    irq_off();
    unsafe {
        let p = (*t).proc_ as usize;
        (*(t as HM)).flags = 0;
        if (*MB_COUNT.as_ptr())[p][chan] != 0 {
            push_locked(t);
        } else if !(*HANDLER.as_ptr())[p][chan].is_null() {
            ERRORS.set(ERRORS.get() | regs::err::HANDLER_BUSY);
        } else if reached(deadline) {
            (*(t as HM)).flags = FLAG_TIMEOUT;
            push_locked(t);
        } else {
            (*HANDLER.as_ptr())[p][chan] = t;
            (*(t as HM)).flags = FLAG_TIMED_MSG | (chan as u8) << 3;
            timer_insert_locked(t, deadline);
        }
    }
    irq_on();
}

/// Cancel the sleep or timed wait of the task of word `w`: found (it leaves the timer
/// list, and a timed waiter its event's slot) or not.
#[inline(never)]
pub(crate) unsafe fn cancel_word(w: u32) -> bool {
    let t = regs::task_tcb(w) as H;
    irq_off();
    let found = unsafe { timer_unlink_locked(t) };
    if found {
        unsafe {
            if (*t).flags & (FLAG_TIMED_IRQ | FLAG_TIMED_MSG) != 0 {
                timeout_wait_locked(t);
            }
            (*(t as HM)).flags = 0;
        }
    }
    irq_on();
    found
}

/// Sleep until `deadline` (the time of [`crate::now`]); a deadline already reached makes
/// the task ready at once.
#[inline(always)]
pub fn sleep_until(deadline: u64) -> impl Future<Output = ()> {
    Once::new(move |w| {
        let t = regs::task_tcb(w) as H;
        irq_off();
        unsafe {
            if reached(deadline) {
                push_locked(t);
            } else {
                timer_insert_locked(t, deadline);
            }
        }
        irq_on();
    })
}

// ---- preemption hint ---------------------------------------------------------------------------

static PREEMPT_MASK: Global<u32> = Global::new(0);

/// Preemption hint for cooperative yield points: after `preempt_init(prio)`, [`preempted`]
/// is true while a task of a better priority than `prio` is in the ready bitmap (set by
/// the trap handler that woke it), as the C runtime's rt_preempt_init.
pub fn preempt_init(prio: u8) {
    PREEMPT_MASK.set((1u32 << prio) - 1);
}

/// A task of a better priority than [`preempt_init`]'s is ready.
#[inline(always)]
pub fn preempted() -> bool {
    BITMAP.get() & PREEMPT_MASK.get() != 0
}

// ---- dispatcher and set-up ------------------------------------------------------------------

/// Run ready tasks until none is ready and [`crate::STOP`] is set; idle in WFI with
/// interrupts off (no lost wakeup), then take the trap.
#[inline(never)]
pub fn run() {
    loop {
        irq_off();
        let t = unsafe { pop_locked() };
        if !t.is_null() {
            irq_on();
            unsafe { ((*t).poll)(t, 0) };
            continue;
        }
        if crate::STOP.get() {
            irq_on();
            return;
        }
        let t0 = crate::cyc();
        unsafe { core::arch::asm!("wfi", options(nostack)) };
        IDLE.set(IDLE.get().wrapping_add(crate::cyc().wrapping_sub(t0)));
        irq_on();
    }
}

/// [`run`] (which counts its idle time, WFI, always).
#[inline(always)]
pub fn run_counting_idle() {
    run()
}

/// Idle cycles counted so far by the dispatcher (WFI; wrapping).
#[inline(always)]
pub fn idle_cycles() -> u32 {
    IDLE.get()
}

/// Calibrate the cycle offset, fill the lowest-bit table, set up the PLIC (every device
/// source at priority 1, enabled), the trap vector, the timer, and enable interrupts.
pub fn init() {
    crate::calibrate();
    crate::STOP.set(false);
    unsafe {
        let lb = &mut *LOWBIT.as_ptr();
        for b in 1..256usize {
            lb[b] = b.trailing_zeros() as u8;
        }
    }
    for i in 1..=VECTORS {
        mmio_wr(plic(SOC_PLIC_PRIORITY(i)), 1);
    }
    mmio_wr(plic(SOC_PLIC_THRESHOLD(0)), 0);
    mmio_wr(plic(SOC_PLIC_ENABLE(0, 0)), ((1u32 << VECTORS) - 1) << 1);
    while mmio_rd(plic(SOC_PLIC_CLAIM(0))) != 0 {}
    unsafe {
        core::arch::asm!("csrw mtvec, {0}", in(reg) atsrt_trap_entry as usize, options(nostack));
        core::arch::asm!("csrw {csr}, {0}", in(reg) 1usize << SOC_EXT_IRQ_PLIC,
                         csr = const SOC_CSR_MEIMASK, options(nostack));
    }
    program_timer();
    unsafe {
        core::arch::asm!("csrs mie, {0}", in(reg) (1usize << 11) | (1 << 7), options(nostack));
    }
    irq_on();
}

/// Raw queue operations (benchmark 1).
pub mod raw {
    use super::*;

    #[inline(always)]
    pub fn push(t: TaskRef) {
        unsafe { super::push(t.0) }
    }

    #[inline(always)]
    pub fn pop() -> Option<TaskRef> {
        let (t, _) = super::next();
        if t.is_null() { None } else { Some(TaskRef(t)) }
    }
}
