//! `atsrt`: a `#![no_std]` async runtime for `core::future::Future` tasks on ATS-INTC.
//!
//! Two backends, chosen at build time with `--cfg backend="hw"` or `--cfg backend="sw"`
//! (the same split as the C runtime `firmware/rt/rt.h`):
//!
//! * **hw** (ATS-INTC): a task's [`Waker`](core::task::Waker) is its *task word* (the
//!   16-byte aligned control block's address | priority << 1) and `wake` is one volatile
//!   store of that word to the ENQUEUE register of the task's process window; the
//!   dispatcher is one load from DEQUEUE_WAIT; [`wait_irq`] stores the word to BLOCK[v]
//!   (the controller makes the task ready when the interrupt fires, no trap); IPC
//!   ([`TaskRef::send`], [`listen`], [`TaskRef::try_recv`], [`recv`], [`call`]) goes
//!   through SEND / HANDLER / RECV;
//!   [`sleep_until`] through DEADLINE / SLEEP; the timed waits [`wait_irq_until`] and
//!   [`recv_until`] through BLOCK_UNTIL / HANDLER_UNTIL (bit 0 of the dequeued task word:
//!   the deadline came first), [`TaskRef::cancel`] through CANCEL / TIMER_STATUS; the
//!   preemption hint [`preempted`] is the controller's irq_out[0] read from mip.MEIP.
//! * **sw** (PLIC + software scheduler): `wake` pushes the task onto a software ready
//!   queue (a priority bitmap and a FIFO list per priority, interrupts off around it); a
//!   PLIC claim/complete trap handler wakes the task blocked on the source; IPC through
//!   software mailboxes; timers (sleeps, timed waits, cancel) through a sorted list and
//!   the machine timer; the preemption hint is the ready bitmap.
//!
//! Tasks live in statically allocated [`Task`] control blocks (`#[repr(C, align(16))]`:
//! poll function, task word, cid, ctype, priority, process, and the future's storage).
//! The executor polls a task only when its word comes out of the ready queue, and every
//! runtime future that suspends arranges exactly one wake, so a task is never in the
//! ready queue twice (as in the C runtime).
//!
//! No heap, no external crates: only `core` (and a minimal `compiler_builtins`, see
//! `hdl/atsintc/tools/rust_build.py`).
#![no_std]
#![allow(clippy::missing_safety_doc)]
// cache-line aligned task entries (task.rs: poll_task); a nightly feature, enabled by
// RUSTC_BOOTSTRAP=1 like the rest of the no_std build (rust_build.py)
#![feature(fn_align)]

#[cfg(not(any(backend = "hw", backend = "sw")))]
compile_error!("build with --cfg backend=\"hw\" or --cfg backend=\"sw\"");

pub mod regs;

/// SoC constants (`firmware/include/soc.h`, translated by the build: `rust_build.py`).
#[allow(dead_code, non_snake_case, clippy::all)]
pub mod soc {
    include!(env!("ATSRT_SOC_RS"));
}

pub mod build;
mod cell;
pub mod console;
pub mod dev;
pub mod stats;
mod sync;
mod task;

#[cfg(backend = "hw")]
#[path = "hw.rs"]
mod backend;
#[cfg(backend = "sw")]
#[path = "sw.rs"]
mod backend;

pub use cell::{Global, Volatile};
pub use sync::Signal;
pub use task::{spawn, CType, Task, TaskRef};
pub use backend::{errors, raw, run, use_processes, wait_irq, sleep_until, init,
                  run_counting_idle, idle_cycles, preempt_init, preempted};

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// The backend's name, as in the RESULT lines: "rust-hw" or "rust-sw".
#[cfg(backend = "hw")]
pub const BACKEND: &str = "rust-hw";
#[cfg(backend = "sw")]
pub const BACKEND: &str = "rust-sw";

/// Priorities (0 is the highest), device vectors, IPC channels, processes: as in the
/// C runtime (RT_PRIOS, RT_VECTORS, RT_CHANNELS, RT_PROCS).
pub const PRIOS: usize = 8;
pub const VECTORS: usize = soc::SOC_DEVICE_VECTORS;
pub const CHANNELS: usize = soc::SOC_ATSINTC_CHANNELS;
pub const PROCS: usize = 3;

/// Set to make [`run`] return once no task is ready.
pub static STOP: Volatile<bool> = Volatile::new(false);
/// SoC CYCLE - mcycle ([`init`] calibrates it).
pub static CYCLE_OFFSET: Global<i32> = Global::new(0);

/// mcycle (low word), ordered with respect to memory accesses.
#[inline(always)]
pub fn cyc() -> u32 {
    let v: u32;
    unsafe { core::arch::asm!("rdcycle {0}", out(reg) v, options(nostack)) };
    v
}

/// mcycle, 64 bits.
#[inline(always)]
pub fn cyc64() -> u64 {
    loop {
        let (hi, lo, hi2): (u32, u32, u32);
        unsafe {
            core::arch::asm!("rdcycleh {0}", "rdcycle {1}", "rdcycleh {2}",
                             out(reg) hi, out(reg) lo, out(reg) hi2, options(nostack));
        }
        if hi == hi2 {
            return (hi as u64) << 32 | lo as u64;
        }
    }
}

/// The timers' time: the SoC's mtime (mcycle + [`CYCLE_OFFSET`]).
#[inline(always)]
pub fn now() -> u64 {
    cyc64().wrapping_add(CYCLE_OFFSET.get() as i64 as u64)
}

/// mcycle (low word) in the SoC CYCLE time base of the device stamps.
#[inline(always)]
pub fn now_soc() -> u32 {
    cyc().wrapping_add(CYCLE_OFFSET.get() as u32)
}

/// Spin for `n` iterations of a two-instruction loop (the C runtime's rt_work).
#[inline(always)]
pub fn work(n: u32) {
    unsafe { atsrt_work(n) }
}

extern "C" {
    fn atsrt_work(n: u32);
}

core::arch::global_asm!(
    ".section .text.atsrt_work,\"ax\",@progbits",
    ".globl atsrt_work",
    ".type atsrt_work, @function",
    ".p2align 2",
    "atsrt_work:",
    "    beqz a0, 2f",
    "1:  addi a0, a0, -1",
    "    bnez a0, 1b",
    "2:  ret",
    ".size atsrt_work, . - atsrt_work",
);

/// SoC CYCLE - mcycle: a CYCLE load right after rdcycle samples the counter 2 cycles
/// after it (VexRiscv); the least of a few tries has no cache miss in it.
pub(crate) fn calibrate() {
    let mut best = i32::MAX;
    for _ in 0..8 {
        let a = cyc();
        let c = unsafe {
            core::ptr::read_volatile((soc::SOC_SYSCTL_BASE + soc::SOC_SYSCTL_CYCLE_LO) as *const u32)
        };
        let d = c.wrapping_sub(a) as i32;
        if d < best {
            best = d;
        }
    }
    CYCLE_OFFSET.set(best - 2);
}

/// Code bytes of the image and of the runtime: patched into the image by the build
/// (`rust_build.py`), printed by the programs as `RESULT size`.
#[no_mangle]
#[used]
static ATSRT_CODE_SIZE: [u32; 2] = [0; 2];

/// (code bytes of the whole image, code bytes of the runtime), from the build.
pub fn code_size() -> (u32, u32) {
    unsafe {
        (core::ptr::read_volatile(&ATSRT_CODE_SIZE[0]),
         core::ptr::read_volatile(&ATSRT_CODE_SIZE[1]))
    }
}

/// The task word of the task being polled (its waker's data without bit 0: hw, the
/// dequeued word's timed-wait bit, see [`raw_word_of`]). Every wait is registered with
/// this word, never with bit 0 set (CANCEL matches the exact word).
#[inline(always)]
pub(crate) fn word_of(cx: &Context<'_>) -> u32 {
    backend::clean_word(raw_word_of(cx))
}

/// The waker's data: the task word as the dispatcher dequeued it (hw: bit 0 set = the
/// task's last timed wait ended by its deadline).
#[inline(always)]
pub(crate) fn raw_word_of(cx: &Context<'_>) -> u32 {
    cx.waker().data() as usize as u32
}

/// Suspend once: the first poll starts the wait (`start(word)`) and returns Pending, the
/// second returns Ready. The runtime's waits are this with different `start`s. The resume
/// path only tests a flag (no store: a RAM store is a bus write on the write-through
/// D-cache); the flag is set when the wait starts.
pub(crate) struct Once<F: FnMut(u32)> {
    start: F,
    started: u8, // not bool: LLVM tests a loaded bool's bit 0 with one more instruction
}

impl<F: FnMut(u32)> Once<F> {
    #[inline(always)]
    pub(crate) fn new(start: F) -> Self {
        Once { start, started: 0 }
    }
}

impl<F: FnMut(u32)> Future for Once<F> {
    type Output = ();

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Safety: nothing is pinned structurally (`start` is only called)
        let this = unsafe { self.get_unchecked_mut() };
        if this.started != 0 {
            return Poll::Ready(());
        }
        this.started = 1;
        (this.start)(word_of(cx));
        Poll::Pending
    }
}

/// Give the CPU to the other ready tasks of this priority and better: the task goes to
/// the back of its priority's ready queue (hw: one store to ENQUEUE).
#[inline(always)]
pub fn yield_now() -> impl Future<Output = ()> {
    Once::new(|w| unsafe { backend::wake_word(w) })
}

/// Wait until a message is waiting on this process's IPC channel `chan` (hw:
/// HANDLER[chan]); take it with [`TaskRef::try_recv`] (or use [`recv`]).
#[inline(always)]
pub fn listen(chan: usize) -> impl Future<Output = ()> {
    Once::new(move |w| unsafe { backend::listen_word(w, chan) })
}

/// Wait for the next message on this process's IPC channel `chan` and take it (a
/// message word is never 0). One suspension: HANDLER[chan], then RECV[chan] when woken.
#[inline(always)]
pub fn recv(chan: usize) -> Recv {
    Recv { chan, listening: 0 }
}

/// The future of [`recv`].
pub struct Recv {
    chan: usize,
    listening: u8,
}

impl Future for Recv {
    type Output = u32;

    #[inline(always)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let w = word_of(cx);
        if self.listening != 0 {
            let m = unsafe { backend::try_recv_word(w, self.chan) };
            if m != 0 {
                return Poll::Ready(m);
            }
        } else {
            self.listening = 1;
        }
        unsafe { backend::listen_word(w, self.chan) };
        Poll::Pending
    }
}

/// Remote call as IPC: send `msg` to process `to`'s channel `chan`, wait for the reply
/// on this process's channel `reply` and return it. One suspension (SEND, HANDLER, then
/// RECV when woken).
#[inline(always)]
pub fn call(to: usize, chan: usize, msg: u32, reply: usize) -> Call {
    Call { to, chan, msg, reply, sent: 0 }
}

/// System call as IPC: [`call`] to the kernel (process 0).
#[inline(always)]
pub fn syscall(chan: usize, msg: u32, reply: usize) -> Call {
    call(0, chan, msg, reply)
}

/// The future of [`call`] and [`syscall`].
pub struct Call {
    to: usize,
    chan: usize,
    msg: u32,
    reply: usize,
    sent: u8,
}

impl Future for Call {
    type Output = u32;

    #[inline(always)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let w = word_of(cx);
        if self.sent != 0 {
            let m = unsafe { backend::try_recv_word(w, self.reply) };
            if m != 0 {
                return Poll::Ready(m);
            }
        } else {
            self.sent = 1;
            unsafe { backend::send_word(w, self.to, self.chan, self.msg) };
        }
        unsafe { backend::listen_word(w, self.reply) };
        Poll::Pending
    }
}

/// Suspend until the task is woken by someone else ([`TaskRef::wake`] or its `Waker`):
/// no wait is started (the C runtime's `RT_SUSPEND(t, (void)0)`).
#[inline(always)]
pub fn park() -> impl Future<Output = ()> {
    Once::new(|_| {})
}

/// A timed wait ended by its deadline before the event (or message) came.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Timeout;


/// One suspension with a deadline: [`Once`], whose second poll also returns which came
/// first (the event: `Ok`, the deadline: `Err(Timeout)`).
pub(crate) struct Timed<F: FnMut(u32)>(Once<F>);

impl<F: FnMut(u32)> Timed<F> {
    #[inline(always)]
    pub(crate) fn new(start: F) -> Self {
        Timed(Once::new(start))
    }
}

impl<F: FnMut(u32)> Future for Timed<F> {
    type Output = Result<(), Timeout>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Timeout>> {
        // Safety: as Once's (nothing is pinned structurally)
        let once = unsafe { self.map_unchecked_mut(|t| &mut t.0) };
        match once.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                let timed_out = unsafe { backend::timed_out(raw_word_of(cx)) };
                Poll::Ready(if timed_out { Err(Timeout) } else { Ok(()) })
            }
        }
    }
}

/// Wait for device vector `v`'s interrupt until `deadline` (the time of [`now`]),
/// whichever comes first: `Ok(())` = the event (which the task then serves, as after
/// [`wait_irq`]), `Err(Timeout)` = the deadline (an event after it stays pending for the
/// next wait). hw: DEADLINE, DEADLINE_HI, BLOCK_UNTIL[v]; the controller says which in
/// bit 0 of the task word it makes ready. sw: the blocked slot and the timer list.
#[inline(always)]
pub fn wait_irq_until(v: usize, deadline: u64) -> impl Future<Output = Result<(), Timeout>> {
    Timed::new(move |w| unsafe { backend::block_until_word(w, v, deadline) })
}

/// [`wait_irq_until`] `cycles` from now.
#[inline(always)]
pub fn wait_irq_timeout(v: usize, cycles: u64) -> impl Future<Output = Result<(), Timeout>> {
    wait_irq_until(v, now() + cycles)
}

/// Wait for the next message on this process's channel `chan` until `deadline`,
/// whichever comes first: `Ok(message)` or `Err(Timeout)` (a message after the deadline
/// stays in the channel). hw: DEADLINE, DEADLINE_HI, HANDLER_UNTIL[chan], then RECV.
#[inline(always)]
pub fn recv_until(chan: usize, deadline: u64) -> RecvUntil {
    RecvUntil { chan, deadline, started: 0 }
}

/// The future of [`recv_until`].
pub struct RecvUntil {
    chan: usize,
    deadline: u64,
    started: u8,
}

impl Future for RecvUntil {
    type Output = Result<u32, Timeout>;

    #[inline(always)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<u32, Timeout>> {
        let w = word_of(cx);
        if self.started != 0 {
            if unsafe { backend::timed_out(raw_word_of(cx)) } {
                return Poll::Ready(Err(Timeout));
            }
            let m = unsafe { backend::try_recv_word(w, self.chan) };
            if m != 0 {
                return Poll::Ready(Ok(m));
            }
        } else {
            self.started = 1;
        }
        unsafe { backend::listen_until_word(w, self.chan, self.deadline) };
        Poll::Pending
    }
}

/// Sleep for `cycles` from now.
#[inline(always)]
pub fn sleep(cycles: u64) -> impl Future<Output = ()> {
    sleep_until(now() + cycles)
}

/// Current task: a handle to the task being polled (for its cid, priority, ...).
pub fn current() -> impl Future<Output = TaskRef> {
    core::future::poll_fn(|cx| Poll::Ready(TaskRef::from_word_unchecked(word_of(cx))))
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    console::puts("PANIC");
    if let Some(loc) = info.location() {
        console::puts(" at ");
        console::puts(loc.file());
        console::putc(b':');
        console::put_uint(loc.line());
    }
    console::putc(b'\n');
    console::exit(0xEE)
}
