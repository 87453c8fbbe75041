//! Functional checks of the Rust runtime (`atsrt`), as the C runtime's
//! `firmware/rt/rt_test.c` (every backend): priority order with FIFO among equal
//! priorities, a yielding task does not overtake a better one, sleepers wake in deadline
//! order and not early, a stored `Waker` wakes its task (`Signal`), every task completes;
//! timed waits (as `firmware/rt/timer_bench.c`'s): a device or channel wait with a
//! deadline ends with whichever comes first and says which, a late event or message is
//! kept for the next wait, deadlines of timed waits and sleeps in order (one already
//! passed: at once), none early; cancel: a sleeping task and a timed waiter are found
//! (and do not run until woken), a task whose deadline has passed is not.
//! (Exactly-once device handling and IPC / system-call replies are checked by bench.rs.)
//! Prints CHECK lines; the exit code is the number of failures.
#![no_std]

use atsrt::console;
use atsrt::soc::*;
use atsrt::{dev, now, spawn, yield_now, CType, Global, Signal, Task, Timeout, STOP};

static FAILS: Global<i32> = Global::new(0);

fn check(ok: bool, what: &str) {
    if !console::check(ok, what) {
        FAILS.set(FAILS.get() + 1);
    }
}


static T: [Task<64>; 8] = [
    Task::new(10, CType::Task), Task::new(11, CType::Task), Task::new(12, CType::Task),
    Task::new(13, CType::Task), Task::new(14, CType::Task), Task::new(15, CType::Task),
    Task::new(16, CType::Task), Task::new(17, CType::Task),
];
static PING: Signal = Signal::new();
static PONG: Signal = Signal::new();
static ORDER: Global<[u8; 32]> = Global::new([0; 32]);
static NORDER: Global<usize> = Global::new(0);

fn record(x: u8) {
    let n = NORDER.get();
    if n < 32 {
        unsafe { (*ORDER.as_ptr())[n] = x };
        NORDER.set(n + 1);
    }
}

fn order_is(expect: &[u8]) -> bool {
    NORDER.get() == expect.len() && unsafe { &(*ORDER.as_ptr())[..expect.len()] } == expect
}

async fn recorder(id: u8, yield_once: bool) {
    record(id);
    if yield_once {
        yield_now().await;
        record(id + 10);
    }
}

async fn sleeper(id: u8, delay: u64) {
    let me = atsrt::current().await;
    let t0 = atsrt::now();
    atsrt::sleep(delay).await;
    let late = atsrt::now() >= t0 + delay;
    record(if late && me.cid() == 10 + id as u16 { id } else { 0xFF });
}

static SP_MIN: Global<usize> = Global::new(0);
static SP_MAX: Global<usize> = Global::new(0);

#[inline(always)]
fn sp() -> usize {
    let v: usize;
    unsafe { core::arch::asm!("mv {0}, sp", out(reg) v, options(nomem, nostack)) };
    v
}

async fn ponger() {
    for _ in 0..50 {
        yield_now().await;
        let s = sp();
        SP_MIN.set(SP_MIN.get().min(s));
        SP_MAX.set(SP_MAX.get().max(s));
    }
}

fn functional_checks() {
    // id: prio
    let prio: [u8; 8] = [5, 1, 3, 1, 0, 7, 3, 1];
    NORDER.set(0);
    for i in 0..8 {
        spawn(&T[i], prio[i], 0, recorder(i as u8, false));
    }
    STOP.set(true);
    atsrt::run();
    check(order_is(&[4, 1, 3, 7, 2, 6, 0, 5]), "priority order, FIFO among equal priorities");

    // task 0 (prio 2) yields; task 1 (prio 2) was queued first, task 2 (prio 1) later
    NORDER.set(0);
    spawn(&T[0], 2, 0, recorder(0, true));
    spawn(&T[1], 2, 0, recorder(1, true));
    spawn(&T[2], 1, 0, recorder(2, false));
    atsrt::run();
    check(order_is(&[2, 0, 1, 10, 11]), "yield goes behind equal priorities, better priority first");

    // sleepers wake in deadline order, not before their deadline
    NORDER.set(0);
    STOP.set(false);
    spawn(&T[0], 3, 0, sleeper(0, 3000));
    spawn(&T[1], 3, 0, sleeper(1, 1000));
    spawn(&T[2], 3, 0, sleeper(2, 2000));
    spawn(&T[3], 5, 0, async {
        while NORDER.get() < 3 {
            yield_now().await;
        }
        STOP.set(true);
    });
    atsrt::run();
    check(order_is(&[1, 2, 0]), "sleep: deadline order, none early");
    // a Signal: the waiter's Waker is stored, cloned and woken (hw: one store, through
    // the waker's vtable)
    NORDER.set(0);
    STOP.set(true);
    spawn(&T[4], 2, 0, async {
        for i in 0..3u8 {
            PING.wait().await;
            record(i);
            PONG.signal();
        }
    });
    spawn(&T[5], 3, 0, async {
        for i in 0..3u8 {
            PING.signal();
            PONG.wait().await;
            record(i + 10);
        }
    });
    atsrt::run();
    check(order_is(&[0, 10, 1, 11, 2, 12]), "Signal: Waker::wake wakes the waiting task");
    // tasks switch to each other directly (a tail call from the suspended task's poll
    // into the next one's): the stack must not grow
    SP_MIN.set(usize::MAX);
    SP_MAX.set(0);
    STOP.set(true);
    spawn(&T[6], 4, 0, ponger());
    spawn(&T[7], 4, 0, ponger());
    atsrt::run();
    check(SP_MAX.get() != 0 && SP_MIN.get() == SP_MAX.get(),
          "direct switches (100 yields) do not grow the stack");
    check(T.iter().all(|t| t.is_done()), "every task ran to completion");
}

// ---- timed waits: event or deadline first --------------------------------------------------

const TDEV: usize = 1;
const TCHAN: usize = 3;
const TROUNDS: u32 = 6;
static U: [Task<128>; 6] = [
    Task::new(20, CType::Irq), Task::new(21, CType::Task), Task::new(22, CType::Task),
    Task::new(23, CType::Task), Task::new(24, CType::Task), Task::new(25, CType::Task),
];
static W_OK: Global<u32> = Global::new(0);
static W_ROUNDS: Global<u32> = Global::new(0);
static MSGS_SENT: Global<u32> = Global::new(0);
static MSGS_GOT: Global<u32> = Global::new(0);

/// Even rounds: the device (400 cycles) and the message (400) come before the deadline
/// (3000); odd rounds: 2500 cycles after it (deadline 500, event at 3000).
async fn timed_waiter() {
    for r in 0..TROUNDS {
        let late = r & 1 == 1;
        dev::wr(TDEV, SOC_IRQSRC_PERIOD, if late { 3000 } else { 400 }); // re-arm one-shot
        let res = atsrt::wait_irq_until(TDEV, now() + if late { 500 } else { 3000 }).await;
        W_OK.set(W_OK.get() + (res == if late { Err(Timeout) } else { Ok(()) }) as u32);
        if late {
            atsrt::wait_irq(TDEV).await; // the late event is not lost
        }
        dev::ack(TDEV);
        U[1].as_ref().wake(); // the sender sends after 400 or 3000 cycles
        let res = atsrt::recv_until(TCHAN, now() + if late { 500 } else { 3000 }).await;
        let m = match res {
            Ok(m) => {
                W_OK.set(W_OK.get() + !late as u32);
                m
            }
            Err(Timeout) => {
                W_OK.set(W_OK.get() + late as u32);
                atsrt::recv(TCHAN).await // the late message is kept
            }
        };
        MSGS_GOT.set(MSGS_GOT.get() + (m == r + 1) as u32);
        W_ROUNDS.set(W_ROUNDS.get() + 1);
    }
    STOP.set(true);
}

async fn timed_sender() {
    let me = atsrt::current().await;
    for r in 0..TROUNDS {
        atsrt::park().await; // until the waiter wakes it
        atsrt::sleep(if r & 1 == 1 { 3000 } else { 400 }).await;
        me.send(0, TCHAN, r + 1);
        MSGS_SENT.set(MSGS_SENT.get() + 1);
    }
}

fn timed_wait_checks() {
    dev::oneshot(TDEV);
    spawn(&U[0], 1, 0, timed_waiter());
    spawn(&U[1], 2, 0, timed_sender());
    STOP.set(false);
    atsrt::run();
    dev::stop(TDEV);
    check(W_ROUNDS.get() == TROUNDS && W_OK.get() == 2 * TROUNDS,
          "timed waits: the first of event and deadline wakes the task, which knows which");
    check(dev::rd(TDEV, SOC_IRQSRC_COUNT) == TROUNDS && dev::rd(TDEV, SOC_IRQSRC_MISSED) == 0
              && MSGS_SENT.get() == TROUNDS && MSGS_GOT.get() == TROUNDS,
          "timed waits: every event and message (late ones too) taken once, in order");
}

// ---- timed waits and sleeps: deadline order ----------------------------------------------------

/// Task `id`'s wait: kind 0 = a device wait (vector `x`), 1 = a channel wait (channel
/// `x`), 2 = a sleep; until `deadline`. Records `id` if it ended by the deadline, not
/// early, else 0xFF.
async fn timeout_in_order(id: u8, kind: u8, x: usize, deadline: u64) {
    let timed_out = match kind {
        0 => atsrt::wait_irq_until(x, deadline).await == Err(Timeout),
        1 => atsrt::recv_until(x, deadline).await == Err(Timeout),
        _ => {
            atsrt::sleep_until(deadline).await;
            true
        }
    };
    record(if timed_out && now() >= deadline { id } else { 0xFF });
    if NORDER.get() == 5 {
        STOP.set(true);
    }
}

fn timeout_order_checks() {
    NORDER.set(0);
    let base = now() + 3000;
    spawn(&U[0], 3, 0, timeout_in_order(0, 0, 2, base + 900));
    spawn(&U[1], 3, 0, timeout_in_order(1, 1, 1, base + 300));
    spawn(&U[2], 3, 0, timeout_in_order(2, 0, 3, base + 600));
    spawn(&U[3], 3, 0, timeout_in_order(3, 1, 2, base - 3050)); // passed: at once
    spawn(&U[4], 3, 0, timeout_in_order(4, 2, 0, base + 450));
    STOP.set(false);
    atsrt::run();
    check(order_is(&[3, 1, 4, 2, 0]),
          "timed waits and sleeps time out in deadline order, none early, a passed one at once");
}

// ---- cancel -----------------------------------------------------------------------------------

static C_OK: Global<[bool; 3]> = Global::new([false; 3]);

async fn cancel_target(id: u8, kind: u8, cycles: u64) {
    match kind {
        0 => atsrt::sleep(cycles).await,
        _ => {
            let r = atsrt::wait_irq_until(2, now() + cycles).await;
            record(if r.is_ok() { 20 } else { 21 });
        }
    }
    record(id);
}

fn cancel_checks() {
    NORDER.set(0);
    // a sleeping task (5000 cycles) and a task waiting for vector 2 with a deadline are
    // cancelled: found, and they do not run at their deadline, only when woken
    spawn(&U[0], 2, 0, cancel_target(0, 0, 5000));
    spawn(&U[1], 2, 0, cancel_target(1, 1, 5000));
    spawn(&U[2], 4, 0, async {
        let ok = unsafe { &mut *C_OK.as_ptr() };
        let (a, b) = (U[0].as_ref(), U[1].as_ref());
        let found = a.cancel() && b.cancel();
        let again = a.cancel() || b.cancel(); // no longer waiting: not found
        // the cancelled waiter has left vector 2: the event goes to this task's timed wait
        // (with a later deadline than the cancelled one's, so it would not have come here
        // first) and the cancelled task does not run
        dev::oneshot(2);
        dev::wr(2, SOC_IRQSRC_PERIOD, 300); // (re-arms it: the event 300 cycles later)
        let got = atsrt::wait_irq_until(2, now() + 20_000).await.is_ok();
        dev::ack(2);
        dev::stop(2);
        atsrt::sleep(8000).await; // past both deadlines
        ok[0] = found && !again && got && NORDER.get() == 0
            && dev::rd(2, SOC_IRQSRC_COUNT) == 1;
        a.wake();
        b.wake();
        yield_now().await; // (priority 4: both run first)
        // a task whose deadline has passed (it is ready, priority 6, not run) is not found
        spawn(&U[3], 6, 0, async {
            U[2].as_ref().wake(); // (it runs once this task sleeps)
            atsrt::sleep(1000).await;
            record(3);
        });
        atsrt::park().await; // until U[3] sleeps
        atsrt::work(2000); // (about 4000 cycles: past U[3]'s deadline)
        ok[1] = !U[3].as_ref().cancel();
        // a task not sleeping at all (ready, not run): not found
        spawn(&U[4], 7, 0, async {
            record(4);
        });
        ok[2] = !U[4].as_ref().cancel();
        STOP.set(true);
    });
    STOP.set(false);
    atsrt::run();
    let ok = C_OK.get();
    // the woken timed wait returns Ok (not timed out): 20
    check(ok[0] && order_is(&[0, 20, 1, 3, 4]),
          "cancel: a sleeping task and a timed waiter are found, leave their waits, run only when woken");
    check(ok[1], "cancel: a task whose deadline has passed is not found (it runs)");
    check(ok[2], "cancel: a task not sleeping is not found");
    check(U.iter().take(5).all(|t| t.is_done()), "timed waits: every task ran to completion");
}

#[no_mangle]
pub extern "C" fn main() -> i32 {
    atsrt::init();
    functional_checks();
    timed_wait_checks();
    timeout_order_checks();
    cancel_checks();
    check(atsrt::errors() == 0, "no controller / runtime errors");
    console::puts(if FAILS.get() != 0 { "rt_test FAILED\n" } else { "rt_test done\n" });
    FAILS.get()
}
