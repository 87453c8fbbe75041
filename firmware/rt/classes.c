/* Two classes (benchmark 6): latency-critical events mixed with background work, the
 * same code for every backend (rt.h).
 *
 * Critical class: device CRIT_DEV in random mode (InterruptSource MODE 3: geometric
 * inter-arrival times) with mean CRIT_PERIOD = 10 x its work, so it takes 10% of the
 * CPU; its task (priority 0) takes the event and does CRIT_ITERS of work (rt_work).
 *
 * Background class: device BG_DEV in random mode; each event is a job of JOB_CHUNKS
 * chunks of CHUNK_ITERS of work. Offered background load L% (CLASS_LOADS) = job work /
 * mean inter-arrival time, as a share of the CPU: with the critical class's 10% the CPU
 * has no idle time left at L = 90. An ingest task (priority 6, the "bottom half") takes
 * each event at once (ACK) and counts the job; a worker task (priority 7) runs the jobs
 * chunk by chunk. Between two chunks is a yield point: the worker yields if a task of
 * a better priority is ready (rt_preempted: on hw the controller's preemption hint,
 * irq_out[0] with IRQ_ENABLE.PREEMPT and CUR_PRIO = 7, read from mip.MEIP without a bus
 * access; on sw the ready bitmap, set by the PLIC trap handler that woke the task; on
 * poll the bitmap after polling the devices). The background backlog is held in
 * software (the job count), so the devices' event FIFOs never overflow.
 *
 * Per load the first CLASS_EVENTS critical events are recorded:
 *   latency = critical task start (mcycle in SoC CYCLE time) - the device's STAMP
 * (STAMP is the event's own time even when it waited in the device's FIFO), and over
 * the window from the start to the CLASS_EVENTS-th critical event
 *   overhead per event = (busy cycles - work cycles) / (critical + background events)
 * where busy = elapsed - idle and work = the application's own code run in the window
 * (crit_body, ingest_body, chunk_body: the device accesses, the counters, the samples and the
 * rt_work, each timed alone at start-up), so the overhead is what the scheduling costs:
 * wake-ups, traps, dispatch, the yield points and the switches they make. Reported as
 *   RESULT classes <backend> load=L p50= p99= max= mean= crit= bg= chunks= missed=
 *          overhead= busy= work= elapsed= crit_work= chunk= ingest= crit_period=
 *          bg_period=
 * Then the devices stop, the events already raised are still handled, and every
 * device's COUNT must equal the events its task took, with MISSED 0 (CHECK lines). At
 * load CDF_LOAD every recorded latency is printed on "LAT <backend> <load> v v ..." lines.
 */
#include "rt.h"

#ifndef CLASS_EVENTS
#define CLASS_EVENTS 1000
#endif
#ifndef CLASS_LOADS
#define CLASS_LOADS 10, 20, 30, 40, 50, 60, 70, 80, 90
#endif
#ifndef CDF_LOAD
#define CDF_LOAD 80
#endif
#ifndef CRIT_ITERS
#define CRIT_ITERS 20           /* about 100 cycles with the device accesses */
#endif
#ifndef CHUNK_ITERS
#define CHUNK_ITERS 33          /* about 100 cycles between two yield points */
#endif
#ifndef JOB_CHUNKS
#define JOB_CHUNKS 10
#endif

#define CRIT_DEV 0
#define BG_DEV 1
#define CRIT_PRIO 0
#define INGEST_PRIO 6
#define BG_PRIO 7

static const uint32_t loads[] = {CLASS_LOADS};
static rt_task crit_t, ingest_t, worker_t;
static uint32_t lat[CLASS_EVENTS];
static uint32_t ncrit;                  /* critical events taken at this load */
static uint32_t nbg;                    /* background events taken */
static uint32_t chunks;                 /* background chunks run */
static uint32_t jobs;                   /* background jobs waiting */
static int worker_waiting, quit;
static int fails;

/* the window's end, taken when the CLASS_EVENTS-th critical event starts */
static uint32_t end_cyc, end_idle, end_bg, end_chunks;

static void end_window(void)
{
    end_cyc = rt_cyc();
    end_idle = rt_idle;
    end_bg = nbg;
    end_chunks = chunks;
    RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 0;
    quit = 1;
    rt_stop = 1;
}

/* The application's own code, the same in every backend, called by the tasks and
 * timed alone at start-up: what is left of the busy cycles is the scheduling overhead
 * (wake-up, dispatch, traps, yield points and the switches they make). */
_Static_assert(CLASS_EVENTS >= 8, "CLASS_EVENTS: at least 8 (the probe's samples)");

__attribute__((noinline)) static void crit_body(uint32_t now)   /* now: the task start */
{
    uint32_t stamp = rt_dev_stamp(CRIT_DEV);
    rt_dev_ack(CRIT_DEV);
    uint32_t n = ncrit;
    if (n < CLASS_EVENTS)
        lat[n] = now - stamp;
    ncrit = n + 1;
    if (n + 1 == CLASS_EVENTS)
        end_window();
    rt_work(CRIT_ITERS);
}

__attribute__((noinline)) static void ingest_body(void)
{
    rt_dev_ack(BG_DEV);
    nbg++;
    jobs += !quit;
}

__attribute__((noinline)) static void chunk_body(void)
{
    rt_work(CHUNK_ITERS);
    chunks++;
}

static void crit_task(rt_task *t)
{
    RT_BEGIN(t);
    for (;;) {
        RT_AWAIT_IRQ(t, CRIT_DEV);
        crit_body(rt_now_soc());
    }
}

static void ingest_task(rt_task *t)
{
    RT_BEGIN(t);
    for (;;) {
        RT_AWAIT_IRQ(t, BG_DEV);
        ingest_body();
        if (jobs && worker_waiting) {
            worker_waiting = 0;
            rt_wake(&worker_t);
        }
    }
}

static void worker_task(rt_task *t)
{
    RT_BEGIN(t);
    for (;;) {
        while (!jobs) {
            worker_waiting = 1;
            RT_SUSPEND(t, (void)0);     /* not ready: the ingest task wakes it */
        }
        jobs--;
        for (t->u[0] = 0; t->u[0] < JOB_CHUNKS && !quit; t->u[0]++) {
            chunk_body();
            if (rt_preempted())
                RT_YIELD(t);
        }
        if (quit)
            jobs = 0;
    }
}

static void print_cdf(uint32_t load, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i % 32 == 0) {
            if (i)
                console_putc('\n');
            console_puts("LAT " RT_BACKEND " ");
            console_put_uint(load);
        }
        console_putc(' ');
        console_put_uint(lat[i]);
    }
    console_putc('\n');
}

/* Cycles of body() (the least of a few runs: the first misses the I-cache). */
static uint32_t cost(void (*body)(void))
{
    uint32_t best = ~0u;
    for (int i = 0; i < 4; i++) {
        uint32_t a = rt_cyc();
        body();
        uint32_t d = rt_cyc() - a;
        best = d < best ? d : best;
    }
    return best;
}

static void crit_probe(void)
{
    crit_body(0);               /* (its samples and count are reset before each load) */
}

static void check(int ok, const char *what, uint32_t load)
{
    console_puts(ok ? "CHECK ok " : "CHECK FAIL ");
    console_puts(RT_BACKEND " classes load ");
    console_put_uint(load);
    console_puts(": ");
    console_puts(what);
    console_putc('\n');
    if (!ok)
        fails++;
}

int main(void)
{
    rt_init();
    quit = 1;                           /* (the probes must not count jobs) */
    uint32_t crit_work = cost(crit_probe), chunk = cost(chunk_body);
    uint32_t ingest = cost(ingest_body);
    uint32_t crit_period = 10 * crit_work;
    console_puts("classes backend=" RT_BACKEND "\n");

    rt_preempt_init(BG_PRIO);
    rt_spawn(&crit_t, crit_task, CRIT_PRIO, 0);
    rt_spawn(&ingest_t, ingest_task, INGEST_PRIO, 0);
    rt_spawn(&worker_t, worker_task, BG_PRIO, 0);
    rt_stop = 1;
    rt_run();                           /* the tasks now wait: devices, jobs */

    for (unsigned li = 0; li < sizeof loads / sizeof loads[0]; li++) {
        uint32_t load = loads[li];
        uint32_t bg_period = JOB_CHUNKS * chunk * 100u / load;
        RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 0;
        static const uint32_t devs[2] = {CRIT_DEV, BG_DEV};
        for (unsigned i = 0; i < 2; i++) {
            unsigned v = devs[i];
            RT_DEV(v, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_RANDOM;
            RT_DEV(v, SOC_IRQSRC_PERIOD) = v == CRIT_DEV ? crit_period : bg_period;
            RT_DEV(v, SOC_IRQSRC_COUNT) = 0;
            RT_DEV(v, SOC_IRQSRC_MISSED) = 0;
        }
        ncrit = nbg = chunks = jobs = 0;
        quit = 0;
        rt_stop = 0;
        uint32_t idle0 = rt_idle;
        uint32_t t0 = rt_cyc();
        RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = (1u << CRIT_DEV) | (1u << BG_DEV);
        rt_run();
        /* drain: the events raised before the devices stopped, still in their FIFOs */
        rt_work(200);
        rt_stop = 1;
        rt_run();

        uint32_t elapsed = end_cyc - t0, idle = end_idle - idle0;
        uint32_t busy = elapsed > idle ? elapsed - idle : 0;
        uint32_t n = CLASS_EVENTS;
        uint32_t work = n * crit_work + end_chunks * chunk + end_bg * ingest;
        uint32_t events = n + end_bg;
        uint32_t overhead = busy > work ? (busy - work) / events : 0;
        uint32_t sum = 0;              /* latencies are far below 2^32 / CLASS_EVENTS */
        for (uint32_t i = 0; i < n; i++)
            sum += lat[i];
        if (load == CDF_LOAD)
            print_cdf(load, n);
        rt_sort(lat, n);
        uint32_t missed = RT_DEV(CRIT_DEV, SOC_IRQSRC_MISSED) +
                          RT_DEV(BG_DEV, SOC_IRQSRC_MISSED);
        rt_result_begin("classes");
        rt_kv("load", load);
        rt_kv("p50", rt_percentile(lat, n, 50));
        rt_kv("p99", rt_percentile(lat, n, 99));
        rt_kv("max", lat[n - 1]);
        rt_kv("mean", sum / n);
        rt_kv("crit", n);
        rt_kv("bg", end_bg);
        rt_kv("chunks", end_chunks);
        rt_kv("missed", missed);
        rt_kv("overhead", overhead);
        rt_kv("busy", busy);
        rt_kv("work", work);
        rt_kv("elapsed", elapsed);
        rt_kv("crit_work", crit_work);
        rt_kv("chunk", chunk);
        rt_kv("ingest", ingest);
        rt_kv("crit_period", crit_period);
        rt_kv("bg_period", bg_period);
        rt_result_end();
        check(RT_DEV(CRIT_DEV, SOC_IRQSRC_COUNT) == ncrit &&
              RT_DEV(BG_DEV, SOC_IRQSRC_COUNT) == nbg &&
              RT_DEV(CRIT_DEV, SOC_IRQSRC_QUEUED) == 0 && RT_DEV(BG_DEV, SOC_IRQSRC_QUEUED) == 0,
              "every device event handled exactly once", load);
        check(missed == 0, "no event lost by a device (MISSED 0)", load);
    }
    RT_DEV(CRIT_DEV, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_OFF;
    RT_DEV(BG_DEV, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_OFF;
    if (rt_errors()) {
        console_puts("CHECK FAIL " RT_BACKEND " runtime errors\n");
        fails++;
    }
    console_puts(fails ? "classes FAILED\n" : "classes done\n");
    return fails;
}
