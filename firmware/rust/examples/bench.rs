//! Micro-benchmarks of the Rust runtime (`atsrt`), the same measurements as the C
//! runtime's `firmware/rt/bench.c` (and its RESULT keys; backend `rust-hw` / `rust-sw`):
//!   1. enqueue / dequeue cost seen by the CPU           RESULT queue
//!   2. task switch (yield -> next task's first instr.)  RESULT switch
//!   3. interrupt -> woken task, CPU idle                RESULT irq_idle
//!      ... with lower-priority tasks yielding every K   RESULT irq_busy
//!   4. IPC user -> user one-way wake and round trip     RESULT ipc
//!      system call user -> kernel -> user               RESULT syscall
//!   5. code size of the image and of the runtime        RESULT size
//! Cycles are mcycle deltas minus the cost of an empty measurement (`empty`); interrupt
//! latencies are task start (mcycle in the SoC CYCLE time base) minus the device's STAMP.
//! Functional checks with the benchmarks (every device event handled once, IPC and
//! system-call replies; priority order etc. are in rt_test.rs, as in the C runtime);
//! CHECK lines, exit code = number of failures.
#![no_std]

use atsrt::console::{self, kv, kv_signed, result_begin, result_end};
use atsrt::soc::*;
use atsrt::stats::{percentile, sort};
use atsrt::{cyc, dev, spawn, yield_now, CType, Global, Task, TaskRef, Volatile, STOP};

const NSAMPLES: usize = 32;
const BUSY_ITERS: u32 = 60; // work of a busy task between yields (as bench.c)

static FAILS: Global<i32> = Global::new(0);
static EMPTY: Global<u32> = Global::new(0);
static SAMPLES: Global<[u32; 2 * NSAMPLES + 8]> = Global::new([0; 2 * NSAMPLES + 8]);
static NS: Global<usize> = Global::new(0);

fn check(ok: bool, what: &str) {
    if !console::check(ok, what) {
        FAILS.set(FAILS.get() + 1);
    }
}

fn samples() -> &'static mut [u32] {
    unsafe { &mut (*SAMPLES.as_ptr())[..NS.get()] }
}

fn sample(v: u32) {
    let n = NS.get();
    unsafe {
        if n < (*SAMPLES.as_ptr()).len() {
            (*SAMPLES.as_ptr())[n] = v;
            NS.set(n + 1);
        }
    }
}

/// min / p50 / max of the samples as a RESULT line.
fn report(bench: &str, extra: Option<(&str, u32)>) {
    let s = samples();
    sort(s);
    result_begin(bench);
    kv("min", s[0]);
    kv("p50", percentile(s, 50));
    kv("max", s[s.len() - 1]);
    kv("n", s.len() as u32);
    if let Some((k, v)) = extra {
        kv(k, v);
    }
    result_end();
}

// ---- 1. queue operations ----------------------------------------------------------------

static QA: Task<0> = Task::new(1, CType::Task);

#[inline(never)]
fn m_empty() -> u32 {
    let a = cyc();
    let b = cyc();
    b.wrapping_sub(a)
}

#[inline(never)]
fn m_enqueue() -> u32 {
    let a = cyc();
    atsrt::raw::push(QA.as_ref());
    let b = cyc();
    b.wrapping_sub(a)
}

/// rdcycle after `t` is known (waits for the dequeue's load).
#[inline(always)]
fn cyc_after(t: Option<TaskRef>) -> u32 {
    let b: u32;
    let p = t.map_or(core::ptr::null(), |t| t.as_ptr());
    unsafe { core::arch::asm!("rdcycle {0} # {1}", out(reg) b, in(reg) p, options(nostack)) };
    b
}

#[inline(never)]
fn m_dequeue(got: &mut Option<TaskRef>) -> u32 {
    let a = cyc();
    let t = atsrt::raw::pop();
    let b = cyc_after(t);
    *got = t;
    b.wrapping_sub(a)
}

#[inline(never)]
fn m_pair(got: &mut Option<TaskRef>) -> u32 {
    let a = cyc();
    atsrt::raw::push(QA.as_ref());
    let t = atsrt::raw::pop();
    let b = cyc_after(t);
    *got = t;
    b.wrapping_sub(a)
}

fn bench_queue() {
    let (mut enq, mut deq, mut pair, mut deq0) = (!0u32, !0u32, !0u32, !0u32);
    let mut ok = true;
    QA.set_prio(3);
    let qa = Some(QA.as_ref());
    for _ in 0..8 {
        let mut got = None;
        enq = enq.min(m_enqueue());
        deq = deq.min(m_dequeue(&mut got));
        ok &= got == qa;
        pair = pair.min(m_pair(&mut got));
        ok &= got == qa;
        deq0 = deq0.min(m_dequeue(&mut got));
        ok &= got.is_none();
    }
    let e = EMPTY.get();
    result_begin("queue");
    kv("enqueue", enq - e);
    kv("dequeue", deq - e);
    kv("enq_deq", pair - e);
    kv("dequeue_empty", deq0 - e);
    result_end();
    check(ok, "queue returns what was enqueued");
}

// ---- 2. task switch ---------------------------------------------------------------------

static SW_A: Task<32> = Task::new(20, CType::Task);
static SW_B: Task<32> = Task::new(21, CType::Task);
static SW_T0: Global<u32> = Global::new(0);
static SW_DONE: Global<u32> = Global::new(0);

async fn switcher() {
    for _ in 0..NSAMPLES {
        SW_T0.set(cyc());
        yield_now().await;
        let t1 = cyc();
        if SW_DONE.get() == 0 {
            // the last resume after the other one ended is no switch
            sample(t1.wrapping_sub(SW_T0.get()).wrapping_sub(EMPTY.get()));
        }
    }
    SW_DONE.set(SW_DONE.get() + 1);
    if SW_DONE.get() == 2 {
        STOP.set(true);
    }
}

fn bench_switch() {
    NS.set(0);
    STOP.set(false);
    SW_DONE.set(0);
    spawn(&SW_A, 4, 0, switcher());
    spawn(&SW_B, 4, 0, switcher());
    atsrt::run();
    report("switch", None);
}

// ---- 3. interrupt -> task -----------------------------------------------------------------

const DEV: usize = 0;
static IRQ_T: Task<32> = Task::new(30, CType::Irq);
static BUSY_T: [Task<32>; 2] = [Task::new(31, CType::Task), Task::new(32, CType::Task)];
static BUSY_STOP: Volatile<bool> = Volatile::new(false);
static IRQ_HANDLED: Global<u32> = Global::new(0);

async fn irq_task() {
    for i in 0..NSAMPLES as u32 {
        // re-arm the one-shot; vary the phase against the busy tasks' yields
        dev::wr(DEV, SOC_IRQSRC_PERIOD, 700 + (i * 37) % 256);
        atsrt::wait_irq(DEV).await;
        let now = atsrt::now_soc();
        let stamp = dev::stamp(DEV);
        dev::ack(DEV);
        IRQ_HANDLED.set(IRQ_HANDLED.get() + 1);
        sample(now.wrapping_sub(stamp));
    }
    BUSY_STOP.set(true);
    STOP.set(true);
}

async fn busy_task() {
    while !BUSY_STOP.get() {
        atsrt::work(BUSY_ITERS);
        yield_now().await;
    }
}

fn bench_irq(busy: bool) {
    dev::oneshot(DEV);
    NS.set(0);
    IRQ_HANDLED.set(0);
    BUSY_STOP.set(false);
    STOP.set(false);
    let mut k = 0;
    if busy {
        // cycles of the busy task's work between two yields (the key work_cycles)
        let a = cyc();
        atsrt::work(BUSY_ITERS);
        k = cyc().wrapping_sub(a);
    }
    spawn(&IRQ_T, 1, 0, irq_task());
    if busy {
        spawn(&BUSY_T[0], 6, 0, busy_task());
        spawn(&BUSY_T[1], 6, 0, busy_task());
    }
    atsrt::run();
    dev::stop(DEV);
    report(if busy { "irq_busy" } else { "irq_idle" }, if busy { Some(("work_cycles", k)) } else { None });
    let count = dev::rd(DEV, SOC_IRQSRC_COUNT);
    let missed = dev::rd(DEV, SOC_IRQSRC_MISSED);
    check(count == NSAMPLES as u32 && IRQ_HANDLED.get() == count && missed == 0,
          if busy { "irq_busy: every device event handled once" }
          else { "irq_idle: every device event handled once" });
}

// ---- 4. IPC and system calls ----------------------------------------------------------------

const CH_REQ: usize = 1;
const CH_REPLY: usize = 2;

#[repr(C)]
struct Request {
    from: u32,
    x: u32,
}

static KERNEL_SRV: Task<32> = Task::new(40, CType::Kernel);
static USER_SRV: Task<32> = Task::new(41, CType::Ipc);
static CLIENT: Task<96> = Task::new(42, CType::Task);
static SRV_T: Global<u32> = Global::new(0); // server's first instruction after the wake
static TARGET: Global<usize> = Global::new(0); // process the client calls
static ONEWAY: Global<[u32; NSAMPLES]> = Global::new([0; NSAMPLES]);
static REQ: Global<Request> = Global::new(Request { from: 0, x: 0 });
static IPC_OK: Global<bool> = Global::new(true);

async fn server() {
    let me = atsrt::current().await;
    loop {
        atsrt::listen(CH_REQ).await;
        SRV_T.set(cyc());
        let r = me.try_recv(CH_REQ) as usize as *const Request;
        if !r.is_null() {
            let (from, x) = unsafe { ((*r).from, (*r).x) };
            me.send(from as usize, CH_REPLY, x * 3 + 1);
        }
    }
}

/// The client: a remote call to process TARGET (2: IPC to a user server; 0: a system
/// call to the kernel), the same code path for both.
async fn client(me_proc: u32) {
    let target = TARGET.get();
    for i in 0..NSAMPLES as u32 {
        unsafe {
            (*REQ.as_ptr()).from = me_proc;
            (*REQ.as_ptr()).x = i + 5;
        }
        let t1 = cyc();
        let reply = atsrt::call(target, CH_REQ, REQ.as_ptr() as usize as u32, CH_REPLY).await;
        let now = cyc();
        let e = EMPTY.get();
        sample(now.wrapping_sub(t1).wrapping_sub(e));
        unsafe { (*ONEWAY.as_ptr())[i as usize] = SRV_T.get().wrapping_sub(t1).wrapping_sub(e) };
        if reply != (i + 5) * 3 + 1 {
            IPC_OK.set(false);
        }
    }
    STOP.set(true);
}

fn bench_ipc(to: usize, name: &str) {
    NS.set(0);
    STOP.set(false);
    IPC_OK.set(true);
    TARGET.set(to);
    spawn(&CLIENT, 2, 1, client(1));
    atsrt::run();
    let s = samples();
    sort(s);
    let (rtt_min, rtt_p50, rtt_max, n) = (s[0], percentile(s, 50), s[s.len() - 1], s.len());
    let ow = unsafe { &mut *ONEWAY.as_ptr() };
    sort(ow);
    result_begin(name);
    kv("oneway_min", ow[0]);
    kv("oneway_p50", percentile(ow, 50));
    kv("oneway_max", ow[NSAMPLES - 1]);
    kv("rtt_min", rtt_min);
    kv("rtt_p50", rtt_p50);
    kv("rtt_max", rtt_max);
    kv("n", n as u32);
    result_end();
    check(IPC_OK.get() && n == NSAMPLES,
          if to == 0 { "syscall replies correct" } else { "ipc replies correct" });
}

#[no_mangle]
pub extern "C" fn main() -> i32 {
    atsrt::init();
    for _ in 0..4 {
        EMPTY.set(m_empty());
    }
    console::puts("bench backend=");
    console::puts(atsrt::BACKEND);
    console::putc(b'\n');
    result_begin("calib");
    kv("empty", EMPTY.get());
    kv_signed("cycle_offset", atsrt::CYCLE_OFFSET.get());
    result_end();

    bench_queue();
    bench_switch();
    bench_irq(false);
    bench_irq(true);

    atsrt::use_processes(atsrt::PROCS);
    spawn(&KERNEL_SRV, 0, 0, server()); // system-call handler: kernel
    spawn(&USER_SRV, 1, 2, server()); // IPC server: user process 2
    STOP.set(true);
    atsrt::run(); // both now wait for requests
    bench_ipc(2, "ipc");
    bench_ipc(0, "syscall");

    let (text, rt) = atsrt::code_size();
    result_begin("size");
    kv("text", text);
    kv("rt", rt);
    result_end();

    check(atsrt::errors() == 0, "no controller / runtime errors");
    console::puts(if FAILS.get() != 0 { "bench FAILED\n" } else { "bench done\n" });
    FAILS.get()
}
