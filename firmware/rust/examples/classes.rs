//! Two classes (benchmark 6) on the Rust runtime: `firmware/rt/classes.c` with async
//! tasks, the same code for both backends (`rust-hw`, `rust-sw`), the same RESULT / LAT /
//! CHECK lines.
//!
//! Critical class: device CRIT_DEV in random mode (InterruptSource MODE 3: geometric
//! inter-arrival times) with mean CRIT_PERIOD = 10 x its work, so it takes 10% of the
//! CPU; its task (priority 0) takes the event and does CRIT_ITERS of work.
//!
//! Background class: device BG_DEV in random mode; each event is a job of JOB_CHUNKS
//! chunks of CHUNK_ITERS of work. Offered background load L% (CLASS_LOADS) = job work /
//! mean inter-arrival time, as a share of the CPU. An ingest task (priority 6) takes each
//! event at once (ACK) and counts the job; a worker task (priority 7) runs the jobs chunk
//! by chunk, with a yield point between two chunks: it yields if a task of a better
//! priority is ready (`atsrt::preempted`: on hw the controller's preemption hint,
//! irq_out[0] with IRQ_ENABLE.PREEMPT and CUR_PRIO = 7, read from mip.MEIP; on sw the
//! ready bitmap). The backlog is held in software (the job count).
//!
//! Per load the first CLASS_EVENTS critical events are recorded:
//!   latency = critical task start (mcycle in SoC CYCLE time) - the device's STAMP,
//! and over the window from the start to the CLASS_EVENTS-th critical event
//!   overhead per event = (busy cycles - work cycles) / (critical + background events)
//! where busy = elapsed - idle (hw: the dispatcher's DEQUEUE_WAIT time beyond a
//! DEQUEUE_WAIT that finds a task, `atsrt::run_counting_idle`, as C's -DRT_IDLE_ACCT;
//! sw: WFI time) and work = the application's own code run in the window (crit_body,
//! ingest_body, chunk_body, each timed alone at start-up). Reported as
//!   RESULT classes <backend> load=L p50= p99= max= mean= crit= bg= chunks= missed=
//!          overhead= busy= work= elapsed= crit_work= chunk= ingest= crit_period=
//!          bg_period=
//! Then the devices stop, the events already raised are still handled, and every
//! device's COUNT must equal the events its task took, QUEUED 0, MISSED 0 (CHECK lines).
//! At load CDF_LOAD every recorded latency is printed on "LAT <backend> <load> v ..."
//! lines. Exit code = failures.
//!
//! Build-time constants (`rust_build.build_rust_firmware(..., consts={...})`, the C
//! program's -D flags): CLASS_EVENTS, CLASS_LOADS, CDF_LOAD, CRIT_ITERS, CHUNK_ITERS,
//! JOB_CHUNKS.
#![no_std]

use atsrt::console::{kv, putc, put_uint, puts, result_begin, result_end};
use atsrt::soc::*;
use atsrt::{dev, spawn, yield_now, CType, Global, Task, STOP};

atsrt::build_const!(CLASS_EVENTS: usize = 1000);
atsrt::build_list!(CLASS_LOADS = [10, 20, 30, 40, 50, 60, 70, 80, 90]);
atsrt::build_const!(CDF_LOAD: u32 = 80);
atsrt::build_const!(CRIT_ITERS: u32 = 20); // about 100 cycles with the device accesses
atsrt::build_const!(CHUNK_ITERS: u32 = 33); // about 100 cycles between two yield points
atsrt::build_const!(JOB_CHUNKS: u32 = 10);

const _: () = assert!(CLASS_EVENTS >= 8, "CLASS_EVENTS: at least 8 (the probe's samples)");
const _: () = {
    let mut i = 0;
    while i < CLASS_LOADS.len() {
        assert!(CLASS_LOADS[i] > 0, "CLASS_LOADS: loads in percent, each at least 1");
        i += 1;
    }
};

const CRIT_DEV: usize = 0;
const BG_DEV: usize = 1;
const CRIT_PRIO: u8 = 0;
const INGEST_PRIO: u8 = 6;
const BG_PRIO: u8 = 7;

static CRIT_T: Task<32> = Task::new(1, CType::Irq);
static INGEST_T: Task<32> = Task::new(2, CType::Irq);
static WORKER_T: Task<32> = Task::new(3, CType::Task);

static LAT: Global<[u32; CLASS_EVENTS]> = Global::new([0; CLASS_EVENTS]);
static NCRIT: Global<u32> = Global::new(0); // critical events taken at this load
static NBG: Global<u32> = Global::new(0); // background events taken
static CHUNKS: Global<u32> = Global::new(0); // background chunks run
static JOBS: Global<u32> = Global::new(0); // background jobs waiting
static WORKER_WAITING: Global<bool> = Global::new(false);
static QUIT: Global<bool> = Global::new(false);
static FAILS: Global<u32> = Global::new(0);

// the window's end, taken when the CLASS_EVENTS-th critical event starts
static END_CYC: Global<u32> = Global::new(0);
static END_IDLE: Global<u32> = Global::new(0);
static END_BG: Global<u32> = Global::new(0);
static END_CHUNKS: Global<u32> = Global::new(0);

fn end_window() {
    END_CYC.set(atsrt::cyc());
    END_IDLE.set(atsrt::idle_cycles());
    END_BG.set(NBG.get());
    END_CHUNKS.set(CHUNKS.get());
    dev::global_wr(SOC_IRQSRC_ENABLE, 0);
    QUIT.set(true);
    STOP.set(true);
}

// The application's own code, the same in both backends (and as the C program's), called
// by the tasks and timed alone at start-up: what is left of the busy cycles is the
// scheduling overhead (wake-up, dispatch, traps, yield points and the switches they make).

#[inline(never)]
fn crit_body(now: u32) {
    // now: the task start
    let stamp = dev::stamp(CRIT_DEV);
    dev::ack(CRIT_DEV);
    let n = NCRIT.get();
    if (n as usize) < CLASS_EVENTS {
        unsafe { (*LAT.as_ptr())[n as usize] = now.wrapping_sub(stamp) };
    }
    NCRIT.set(n + 1);
    if n as usize + 1 == CLASS_EVENTS {
        end_window();
    }
    atsrt::work(CRIT_ITERS);
}

#[inline(never)]
fn ingest_body() {
    dev::ack(BG_DEV);
    NBG.set(NBG.get() + 1);
    JOBS.set(JOBS.get() + !QUIT.get() as u32);
}

#[inline(never)]
fn chunk_body() {
    atsrt::work(CHUNK_ITERS);
    CHUNKS.set(CHUNKS.get() + 1);
}

async fn crit_task() {
    loop {
        atsrt::wait_irq(CRIT_DEV).await;
        crit_body(atsrt::now_soc());
    }
}

async fn ingest_task() {
    loop {
        atsrt::wait_irq(BG_DEV).await;
        ingest_body();
        if JOBS.get() != 0 && WORKER_WAITING.get() {
            WORKER_WAITING.set(false);
            WORKER_T.as_ref().wake();
        }
    }
}

async fn worker_task() {
    loop {
        while JOBS.get() == 0 {
            WORKER_WAITING.set(true);
            atsrt::park().await; // not ready: the ingest task wakes it
        }
        JOBS.set(JOBS.get() - 1);
        let mut i = 0;
        while i < JOB_CHUNKS && !QUIT.get() {
            chunk_body();
            if atsrt::preempted() {
                yield_now().await;
            }
            i += 1;
        }
        if QUIT.get() {
            JOBS.set(0);
        }
    }
}

fn print_cdf(load: u32, lat: &[u32]) {
    for (i, &v) in lat.iter().enumerate() {
        if i % 32 == 0 {
            if i != 0 {
                putc(b'\n');
            }
            puts("LAT ");
            puts(atsrt::BACKEND);
            putc(b' ');
            put_uint(load);
        }
        putc(b' ');
        put_uint(v);
    }
    putc(b'\n');
}

/// Cycles of body() (the least of a few runs: the first misses the I-cache).
fn cost(body: fn()) -> u32 {
    let mut best = u32::MAX;
    for _ in 0..4 {
        let a = atsrt::cyc();
        body();
        let d = atsrt::cyc().wrapping_sub(a);
        best = best.min(d);
    }
    best
}

fn crit_probe() {
    crit_body(0); // (its samples and count are reset before each load)
}

fn check(ok: bool, what: &str, load: u32) {
    puts(if ok { "CHECK ok " } else { "CHECK FAIL " });
    puts(atsrt::BACKEND);
    puts(" classes load ");
    put_uint(load);
    puts(": ");
    puts(what);
    putc(b'\n');
    if !ok {
        FAILS.set(FAILS.get() + 1);
    }
}

#[no_mangle]
pub extern "C" fn main() -> i32 {
    atsrt::init();
    QUIT.set(true); // (the probes must not count jobs)
    let crit_work = cost(crit_probe);
    let chunk = cost(chunk_body);
    let ingest = cost(ingest_body);
    let crit_period = 10 * crit_work;
    puts("classes backend=");
    puts(atsrt::BACKEND);
    putc(b'\n');

    atsrt::preempt_init(BG_PRIO);
    spawn(&CRIT_T, CRIT_PRIO, 0, crit_task());
    spawn(&INGEST_T, INGEST_PRIO, 0, ingest_task());
    spawn(&WORKER_T, BG_PRIO, 0, worker_task());
    STOP.set(true);
    atsrt::run_counting_idle(); // the tasks now wait: devices, jobs

    for &load in CLASS_LOADS.iter() {
        let bg_period = JOB_CHUNKS * chunk * 100 / load;
        dev::global_wr(SOC_IRQSRC_ENABLE, 0);
        for v in [CRIT_DEV, BG_DEV] {
            dev::wr(v, SOC_IRQSRC_MODE, SOC_IRQSRC_MODE_RANDOM as u32);
            dev::wr(v, SOC_IRQSRC_PERIOD, if v == CRIT_DEV { crit_period } else { bg_period });
            dev::wr(v, SOC_IRQSRC_COUNT, 0);
            dev::wr(v, SOC_IRQSRC_MISSED, 0);
        }
        NCRIT.set(0);
        NBG.set(0);
        CHUNKS.set(0);
        JOBS.set(0);
        QUIT.set(false);
        STOP.set(false);
        let idle0 = atsrt::idle_cycles();
        let t0 = atsrt::cyc();
        dev::global_wr(SOC_IRQSRC_ENABLE, (1 << CRIT_DEV) | (1 << BG_DEV));
        atsrt::run_counting_idle();
        // drain: the events raised before the devices stopped, still in their FIFOs
        atsrt::work(200);
        STOP.set(true);
        atsrt::run_counting_idle();

        let elapsed = END_CYC.get().wrapping_sub(t0);
        let idle = END_IDLE.get().wrapping_sub(idle0);
        let busy = elapsed.saturating_sub(idle);
        let n = CLASS_EVENTS as u32;
        let (end_bg, end_chunks) = (END_BG.get(), END_CHUNKS.get());
        let work = n * crit_work + end_chunks * chunk + end_bg * ingest;
        let events = n + end_bg;
        let overhead = if busy > work { (busy - work) / events } else { 0 };
        let lat = unsafe { &mut *LAT.as_ptr() };
        // latencies are far below 2^32 / CLASS_EVENTS
        let sum = lat.iter().fold(0u32, |s, &v| s.wrapping_add(v));
        if load == CDF_LOAD {
            print_cdf(load, lat);
        }
        atsrt::stats::sort(lat);
        let missed = dev::rd(CRIT_DEV, SOC_IRQSRC_MISSED) + dev::rd(BG_DEV, SOC_IRQSRC_MISSED);
        result_begin("classes");
        kv("load", load);
        kv("p50", atsrt::stats::percentile(lat, 50));
        kv("p99", atsrt::stats::percentile(lat, 99));
        kv("max", lat[CLASS_EVENTS - 1]);
        kv("mean", sum / n);
        kv("crit", n);
        kv("bg", end_bg);
        kv("chunks", end_chunks);
        kv("missed", missed);
        kv("overhead", overhead);
        kv("busy", busy);
        kv("work", work);
        kv("elapsed", elapsed);
        kv("crit_work", crit_work);
        kv("chunk", chunk);
        kv("ingest", ingest);
        kv("crit_period", crit_period);
        kv("bg_period", bg_period);
        result_end();
        check(dev::rd(CRIT_DEV, SOC_IRQSRC_COUNT) == NCRIT.get()
                  && dev::rd(BG_DEV, SOC_IRQSRC_COUNT) == NBG.get()
                  && dev::rd(CRIT_DEV, SOC_IRQSRC_QUEUED) == 0
                  && dev::rd(BG_DEV, SOC_IRQSRC_QUEUED) == 0,
              "every device event handled exactly once", load);
        check(missed == 0, "no event lost by a device (MISSED 0)", load);
    }
    dev::wr(CRIT_DEV, SOC_IRQSRC_MODE, SOC_IRQSRC_MODE_OFF as u32);
    dev::wr(BG_DEV, SOC_IRQSRC_MODE, SOC_IRQSRC_MODE_OFF as u32);
    if atsrt::errors() != 0 {
        puts("CHECK FAIL ");
        puts(atsrt::BACKEND);
        puts(" runtime errors\n");
        FAILS.set(FAILS.get() + 1);
    }
    puts(if FAILS.get() != 0 { "classes FAILED\n" } else { "classes done\n" });
    FAILS.get() as i32
}
